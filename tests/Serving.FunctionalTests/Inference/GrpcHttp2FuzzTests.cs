using System.Globalization;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>A worker of its own for the gRPC HTTP/2 sweep: tabular, a small message limit, and its logs captured.</summary>
public sealed class GrpcHttp2FuzzFixture : IAsyncLifetime
{
    public const long MaxRequestBytes = 16 * 1024;

    private TempDirectory? _repository;

    public CapturingLoggerProvider Logs { get; } = new();

    public WorkerServer Server { get; private set; } = null!;

    public GrpcCallMutations Mutations => new(GoldenFile.Load("tabular", "1").GrpcRequest("tabular", "1").ToByteArray(), MaxRequestBytes, Server.Listeners.GrpcPort);

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        Server = await WorkerServer.StartAsync(
            _repository.Path,
            new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture) },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(Logs)));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _repository?.Dispose();
    }
}

/// <summary>
/// Seeded mutation sweep of the worker's gRPC ModelInfer call at the HTTP/2 level, over a bare HTTP/2 connection
/// (<see cref="GrpcCallMutations"/>, <see cref="GrpcHttp2Sweep"/>): headers, gRPC framing of the body and the stream's
/// lifecycle. Each case is answered within a bound with the right HTTP and gRPC status and a message (or the clean
/// call's answer), nothing is logged at Error, and a clean call is answered after it.
/// </summary>
public sealed class GrpcHttp2FuzzTests(GrpcHttp2FuzzFixture fixture) : IClassFixture<GrpcHttp2FuzzFixture>
{
    // Cases per run: 200 in CI; GRPC_HTTP2_FUZZ_ITERATIONS for a longer search, GRPC_HTTP2_FUZZ_SEED for another seed.
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("GRPC_HTTP2_FUZZ_ITERATIONS"), out var n) ? n : 200;

    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("GRPC_HTTP2_FUZZ_SEED"), out var s) ? s : 29;

    [Fact]
    public async Task MutatedCalls_RightStatusAndReason_NothingLoggedAsAnError_WorkerKeepsServing()
    {
        var sweep = new GrpcHttp2Sweep(fixture.Server.Listeners.GrpcPort, fixture.Mutations, fixture.Logs);

        var outcomes = await sweep.RunAsync(Seed, Iterations, Open);

        // The sweep reached answers and refusals of several kinds.
        Assert.True(outcomes.GetValueOrDefault("OK") > 0 && outcomes.Count > 4, string.Join(", ", outcomes.Select(p => $"{p.Key}: {p.Value}")));
    }

    [Fact]
    public async Task ManyCallsOnOneConnection_EachAnsweredAsItShouldBe()
    {
        var sweep = new GrpcHttp2Sweep(fixture.Server.Listeners.GrpcPort, fixture.Mutations, fixture.Logs);

        var outcomes = await sweep.RunSharedAsync(Seed + 1, rounds: 8, perConnection: 24, Open);

        Assert.True(outcomes.GetValueOrDefault("OK") > 0 && outcomes.Count > 4, string.Join(", ", outcomes.Select(p => $"{p.Key}: {p.Value}")));
    }

    // Known wrong, left out until fixed: none at the worker.
    private static bool Open(GrpcCallCase c) => false;
}
