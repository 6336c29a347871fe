using System.Globalization;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>A gateway of its own in front of one worker of its own for the gRPC HTTP/2 sweep: tabular, a small message limit on both, and both logs captured.</summary>
public sealed class GrpcHttp2FuzzFixture : IAsyncLifetime
{
    public const long MaxRequestBytes = 16 * 1024;

    private TempDirectory? _repository;

    public CapturingLoggerProvider WorkerLogs { get; } = new();

    public CapturingLoggerProvider GatewayLogs { get; } = new();

    public WorkerServer Worker { get; private set; } = null!;

    public GatewayServer Gateway { get; private set; } = null!;

    public GrpcCallMutations Mutations(int port) => new(GoldenFile.Load("tabular", "1").GrpcRequest("tabular", "1").ToByteArray(), MaxRequestBytes, port);

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var limit = MaxRequestBytes.ToString(CultureInfo.InvariantCulture);
        Worker = await WorkerServer.StartAsync(_repository.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = limit }, Capture(WorkerLogs));
        Gateway = await GatewayServer.StartAsync([Worker], new Dictionary<string, string?> { ["Serving:Gateway:MaxRequestBytes"] = limit }, Capture(GatewayLogs));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        _repository?.Dispose();
    }

    private static Action<TracerProviderBuilder> Capture(CapturingLoggerProvider logs) => t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs));
}

/// <summary>
/// Seeded mutation sweep of the gateway's gRPC ModelInfer call at the HTTP/2 level, as the worker's
/// (<c>Serving.FunctionalTests.Inference.GrpcHttp2FuzzTests</c>): each case answered within a bound with the right HTTP
/// and gRPC status and a message (or the clean call's answer), nothing logged at Error by the gateway or its worker, and
/// a clean call through the gateway answered after it (the worker still in rotation: it is the gateway's only one).
/// </summary>
public sealed class GrpcHttp2FuzzTests(GrpcHttp2FuzzFixture fixture) : IClassFixture<GrpcHttp2FuzzFixture>
{
    // Cases per run: 150 in CI; GATEWAY_GRPC_HTTP2_FUZZ_ITERATIONS for a longer search, GATEWAY_GRPC_HTTP2_FUZZ_SEED for another seed.
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_GRPC_HTTP2_FUZZ_ITERATIONS"), out var n) ? n : 150;

    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_GRPC_HTTP2_FUZZ_SEED"), out var s) ? s : 31;

    [Fact]
    public async Task MutatedCalls_RightStatusAndReason_NothingLoggedAsAnError_WorkerStaysInRotation()
    {
        var port = fixture.Gateway.Listeners.GrpcPort;
        var sweep = new GrpcHttp2Sweep(port, fixture.Mutations(port), fixture.WorkerLogs, fixture.GatewayLogs);

        var outcomes = await sweep.RunAsync(Seed, Iterations, Open);

        Assert.True(outcomes.GetValueOrDefault("OK") > 0 && outcomes.Count > 4, string.Join(", ", outcomes.Select(p => $"{p.Key}: {p.Value}")));
    }

    [Fact]
    public async Task ManyCallsOnOneConnection_EachAnsweredAsItShouldBe()
    {
        var port = fixture.Gateway.Listeners.GrpcPort;
        var sweep = new GrpcHttp2Sweep(port, fixture.Mutations(port), fixture.WorkerLogs, fixture.GatewayLogs);

        var outcomes = await sweep.RunSharedAsync(Seed + 1, rounds: 6, perConnection: 24, Open);

        Assert.True(outcomes.GetValueOrDefault("OK") > 0 && outcomes.Count > 4, string.Join(", ", outcomes.Select(p => $"{p.Key}: {p.Value}")));
    }

    // Known wrong, left out until fixed: none at the gateway.
    private static bool Open(GrpcCallCase c) => false;
}
