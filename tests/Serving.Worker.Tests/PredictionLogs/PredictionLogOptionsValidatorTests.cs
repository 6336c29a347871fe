using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Tests.PredictionLogs;

public sealed class PredictionLogOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_AreValidAndLoggingIsOff()
    {
        var options = new PredictionLogOptions();

        Assert.True(new PredictionLogOptionsValidator().Validate(null, options).Succeeded);
        Assert.False(options.IsEnabled);
    }

    [Theory]
    [InlineData("Endpoint", "Serving:Worker:PredictionLogs:Endpoint must be an absolute http://")]
    [InlineData("SampleRate", "Serving:Worker:PredictionLogs:SampleRate must be between 0 and 1")]
    [InlineData("QueueCapacity", "Serving:Worker:PredictionLogs:QueueCapacity must be between 1")]
    [InlineData("QueueCapacityBytes", "Serving:Worker:PredictionLogs:QueueCapacityBytes must be between")]
    [InlineData("BatchSize", "Serving:Worker:PredictionLogs:BatchSize must be between 1")]
    [InlineData("FlushInterval", "Serving:Worker:PredictionLogs:FlushInterval must be between")]
    [InlineData("MaxBatchBytes", "Serving:Worker:PredictionLogs:MaxBatchBytes must be between")]
    [InlineData("ReconnectBackoffMax", "Serving:Worker:PredictionLogs:ReconnectBackoffMax must be at least ReconnectBackoffMin")]
    [InlineData("ShutdownFlushTimeout", "Serving:Worker:PredictionLogs:ShutdownFlushTimeout must be between")]
    [InlineData("IngestToken", "Serving:Worker:PredictionLogs:IngestToken begins or ends with white space")]
    public void Validate_BadValue_FailsNamingTheKey(string key, string message)
    {
        var options = new PredictionLogOptions { Endpoint = "http://127.0.0.1:8090" };
        switch (key)
        {
            case "Endpoint": options.Endpoint = "127.0.0.1:8090"; break;
            case "SampleRate": options.SampleRate = double.NaN; break;
            case "QueueCapacity": options.QueueCapacity = 0; break;
            case "QueueCapacityBytes": options.QueueCapacityBytes = 1000; break;
            case "BatchSize": options.BatchSize = -1; break;
            case "FlushInterval": options.FlushInterval = TimeSpan.Zero; break;
            case "MaxBatchBytes": options.MaxBatchBytes = 1000; break;
            case "ReconnectBackoffMax": options.ReconnectBackoffMax = TimeSpan.FromMilliseconds(1); break;
            case "ShutdownFlushTimeout": options.ShutdownFlushTimeout = TimeSpan.FromSeconds(-1); break;
            case "IngestToken": options.IngestToken = "ingest-token-from-a-file\n"; break;
        }

        var result = new PredictionLogOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void AddPredictionLogs_NoEndpoint_RegistersTheNoOpSink()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddPredictionLogs();
        using var provider = services.BuildServiceProvider();

        Assert.IsType<NoPredictionLogs>(provider.GetRequiredService<IPredictionLogSink>());
        Assert.False(provider.GetRequiredService<IOptions<PredictionLogOptions>>().Value.IsEnabled);
    }
}
