using Serving.LoadTests.Baselines.Echo;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.Targets;

/// <summary><c>run --stream</c>: requests on ModelStreamInfer streams against a real worker, answers matched by id.</summary>
public sealed class StreamInferClientTests
{
    private static readonly string Models = Path.Combine(BenchModel.FindRepositoryRoot(AppContext.BaseDirectory), "models");

    [Fact]
    public async Task ClosedModel_ManyCallersOnFewStreams_EveryRequestAnsweredOk()
    {
        await using var worker = await InProcessWorker.StartAsync(Models, batching: true, CancellationToken.None);
        var target = new LoadTarget(worker.GrpcAddress, TargetProtocol.Grpc, "tabular", GrpcStream: true);
        var profile = new LoadProfile
        {
            Mode = LoadMode.Closed,
            Concurrency = 24,
            Connections = 2,
            Warmup = TimeSpan.Zero,
            Duration = TimeSpan.FromMinutes(1),
            MaxRequests = 3_000,
        };

        var report = await LoadRunner.RunAsync(target, profile, CancellationToken.None, progress: null);

        Assert.Equal("ModelStreamInfer streams", report.GrpcClient);
        Assert.Equal(0, report.Failed);
        Assert.True(report.Succeeded >= 3_000, $"{report.Succeeded} succeeded");
    }

    [Fact]
    public async Task RequestsTheWorkerRefuses_CountAsStreamErrors_WithTheWorkersReason()
    {
        await using var worker = await InProcessWorker.StartAsync(Models, batching: true, CancellationToken.None);
        var payload = new InferPayload("tabular", "9", [RandomTensorFactory.Create(new TensorSpec("input", "FP32", [-1, 30]), 1, new Random(2))]);
        using var client = InferClientFactory.Create(new LoadTarget(worker.GrpcAddress, TargetProtocol.Grpc, "tabular", GrpcStream: true), payload, 1, 2);
        var callers = new[] { client.CreateCaller(0), client.CreateCaller(1) };

        var outcomes = new List<CallOutcome>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.AddRange(await Task.WhenAll(callers.Select(c => c.CallAsync(CancellationToken.None).AsTask())));
        }

        Assert.All(outcomes, o => Assert.Equal(CallOutcome.StreamError, o));
        Assert.Equal("model 'tabular' has no version '9'", client.Errors.For(CallOutcome.StreamError));
        Assert.Contains("has no version '9'", await client.PreflightAsync(CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkerStopsWhileCallersWait_TheyFailInsteadOfHanging_AndTheNextCallOpensANewStream()
    {
        var worker = await InProcessWorker.StartAsync(Models, batching: true, CancellationToken.None);
        var payload = new InferPayload("tabular", string.Empty, [RandomTensorFactory.Create(new TensorSpec("input", "FP32", [-1, 30]), 1, new Random(4))]);
        using var client = InferClientFactory.Create(new LoadTarget(worker.GrpcAddress, TargetProtocol.Grpc, "tabular", GrpcStream: true), payload, 1, 1);
        var caller = client.CreateCaller(0);
        Assert.Equal(CallOutcome.Ok, await caller.CallAsync(CancellationToken.None));

        await worker.DisposeAsync();
        var afterStop = await caller.CallAsync(CancellationToken.None);

        Assert.False(afterStop.IsOk);
        Assert.NotEqual(OutcomeKind.CancelledAtStop, afterStop.Kind);
    }

    [Fact]
    public async Task ServerWithoutModelStreamInfer_PreflightSaysSo()
    {
        await using var echo = await EchoServer.StartAsync(new EchoServerOptions(BaselinePorts.Any, Features: 4), CancellationToken.None);
        var payload = new InferPayload("m", string.Empty, [RandomTensorFactory.Create(new TensorSpec("input", "FP32", [1, 4]), 1, new Random(1))]);
        using var client = InferClientFactory.Create(new LoadTarget(echo.Http2Address, TargetProtocol.Grpc, "m", GrpcStream: true), payload, 1, 1);

        var why = await client.PreflightAsync(CancellationToken.None);

        Assert.Equal("gRPC Unimplemented (the server does not serve ModelStreamInfer)", why);
    }
}
