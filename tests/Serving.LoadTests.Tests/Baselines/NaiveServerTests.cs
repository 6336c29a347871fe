using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Baselines.Naive;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.Baselines;

/// <summary>
/// The naive baseline (a real Kestrel server on 127.0.0.1, port 0, calling ONNX Runtime per request on the tabular
/// model) answers the generator over every protocol it speaks: gRPC, REST with JSON and REST with binary tensors.
/// </summary>
public sealed class NaiveServerTests
{
    [Theory]
    [InlineData(nameof(TargetProtocol.Grpc))]
    [InlineData(nameof(TargetProtocol.RestJson))]
    [InlineData(nameof(TargetProtocol.RestBinary))]
    public async Task ClosedLoad_EveryProtocol_EveryRequestAnswered(string protocolName)
    {
        var protocol = Enum.Parse<TargetProtocol>(protocolName);
        var models = Path.Combine(BenchModel.FindRepositoryRoot(AppContext.BaseDirectory), "models", "tabular");
        await using var server = await NaiveServer.StartAsync(new NaiveServerOptions(models, BaselinePorts.Any, "tabular"), CancellationToken.None);
        var payload = new InferPayload("tabular", string.Empty, [RandomTensorFactory.Create(new TensorSpec("input", "FP32", [-1, 30]), 2, new Random(3))]);
        using var client = InferClientFactory.Create(new LoadTarget(server.AddressFor(protocol), protocol, "tabular"), payload, 1, 4);

        Assert.Null(await client.PreflightAsync(CancellationToken.None));

        var profile = new LoadProfile { Mode = LoadMode.Closed, Concurrency = 4, Warmup = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(30), MaxRequests = 200 };
        profile.Validate();
        var measurement = new LoadMeasurement(Timestamps.Now, recordServiceTime: false);
        using (var control = RunControl.For(profile, CancellationToken.None, measurement))
        {
            await ClosedLoopDriver.RunAsync(client, profile.Concurrency, measurement, control);
        }

        Assert.True(measurement.Failures.Total == 0, $"failures: {string.Join(", ", measurement.Failures.Snapshot())}; {client.Errors}");
        Assert.Equal(200, measurement.Succeeded);
    }
}
