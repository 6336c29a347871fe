using Microsoft.Extensions.Options;
using Serving.Testing;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// A Redis connection string that isn't one, and a nonsense batch size, are refused at once with what to give instead:
/// the worker used to start, report ready and leave its feature models loading for ever; <c>serving features load</c>
/// printed a stack trace.
/// </summary>
public sealed class FeatureSettingsErrorTests
{
    [Theory]
    [InlineData("foo=bar,,,:::")]
    [InlineData("127.0.0.1:99999")]
    [InlineData(",")]
    [InlineData("garbage,,=")]
    [InlineData("redis://:hush@127.0.0.1:6379")]
    public async Task WorkerStart_RedisNotAConnectionString_FailsNamingTheKey(string redis)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Features:Redis"] = redis }));

        Assert.Contains("Serving:Features:Redis is not a Redis connection string", error.Message, StringComparison.Ordinal);
        Assert.Contains("e.g. 127.0.0.1:6379", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hush", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--file", "(a folder)", "is a folder: give --file the CSV file")]
    [InlineData("--redis", "foo=bar,,,:::", "is not a Redis connection string")]
    [InlineData("--redis", "127.0.0.1:99999", "is not a Redis connection string")]
    [InlineData("--redis", "", "is not a Redis connection string")]
    [InlineData("--redis", "garbage,,=", "is not a Redis connection string (entry 2 is empty)")]
    [InlineData("--redis", "127.0.0.1:6379,=x,password=hush", "'127.0.0.1:6379,=x,password=*****' is not a Redis connection string (entry 2 ('=x') is an option with no name)")]
    [InlineData("--redis", "redis://:hush@127.0.0.1:6379", "'redis://*****@127.0.0.1:6379' is not a Redis connection string (entry 1 ('redis://*****@127.0.0.1:6379') is a URL; write its host:port, and a password as password=...")]
    [InlineData("--redis", "rediss://admin:hush@cache.internal:6380/0", "'rediss://*****@cache.internal:6380/0' is not a Redis connection string (entry 1 (")]
    [InlineData("--batch", "-5", "--batch is -5")]
    [InlineData("--batch", "0", "--batch is 0")]
    public async Task FeaturesLoad_BadSetting_ExitCode2_ReasonNoStackTrace(string option, string value, string message)
    {
        var file = option == "--file" ? RepoPaths.Models : Path.Combine(RepoPaths.Models, "tabular", "features.csv");
        var (code, output) = await ServingRun.RunAsync(
            ["features", "load", "--model", "tabular", "--file", file, "--models", RepoPaths.Models, .. option == "--file" ? Array.Empty<string>() : [option, value]]);

        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Contains(message, System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "), StringComparison.Ordinal); // lines wrap at 80 columns
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hush", output, StringComparison.Ordinal); // a password is never shown
    }

    /// <summary>Before: "Cannot parse argument 'abc' for option '--batch' as expected type 'System.Int32'".</summary>
    [Fact]
    public async Task FeaturesLoad_BatchNotANumber_SaysWhatToGive_NoDotNetType()
    {
        var (code, output) = await ServingRun.RunAsync(
            ["features", "load", "--model", "tabular", "--file", Path.Combine(RepoPaths.Models, "tabular", "features.csv"), "--models", RepoPaths.Models, "--batch", "abc"]);

        Assert.NotEqual(0, code);
        Assert.Contains("--batch 'abc' is not a number of rows: give a whole number, at least 1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", output, StringComparison.Ordinal);
    }
}
