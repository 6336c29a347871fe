using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Routing;
using Serving.Testing;
using Xunit.Abstractions;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker that dies: requests move to the other worker of the version. A request that can't
/// connect is retried once elsewhere; only requests the dead worker already had may fail.
/// </summary>
public sealed class WorkerFailureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Concurrency = 8;
    private TempDirectory _repository = null!;
    private WorkerServer _a = null!;
    private WorkerServer _b = null!;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        _a = await WorkerServer.StartAsync(_repository.Path);
        _b = await WorkerServer.StartAsync(_repository.Path);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _repository.Dispose();
    }

    [Fact]
    public async Task WorkerKilledUnderLoad_RequestsMoveToTheOther_FailuresOnlyForRequestsItHad()
    {
        await using var gateway = await GatewayServer.StartAsync([_a, _b]);
        await Policies.SetAsync(gateway, """{"weights": {"1": 50, "2": 50}}""");
        var deadWorker = gateway.Service<RoutingState>().Table.Workers.Single(w => w.RestPrefix == $"http://127.0.0.1:{_a.Listeners.RestPort}");
        using var stop = new CancellationTokenSource();
        var ok = 0;
        var failedEarly = 0;
        var failedLate = 0;
        var known = false;

        async Task Client(bool grpc)
        {
            while (!stop.IsCancellationRequested)
            {
                // A request that starts once the gateway has stopped sending to the dead worker must not fail.
                var late = Volatile.Read(ref known);
                try
                {
                    if (grpc)
                    {
                        await Infer.GrpcAsync(gateway.Grpc);
                    }
                    else if ((await Infer.RestAsync(gateway.Http)).Status != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException("not OK");
                    }

                    Interlocked.Increment(ref ok);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref late ? ref failedLate : ref failedEarly);
                }
            }
        }

        var clients = Enumerable.Range(0, Concurrency).Select(i => Task.Run(() => Client(grpc: i % 2 == 0))).ToArray();
        while (Volatile.Read(ref ok) < 300)
        {
            await Task.Delay(10);
        }

        await Workers.KillAsync(_a);

        // The gateway stops sending to it after a connection failure (passive) or two failed probes (active).
        while (deadWorker.IsHealthy)
        {
            await Task.Delay(5);
        }

        Volatile.Write(ref known, true);
        var mark = Volatile.Read(ref ok);
        while (Volatile.Read(ref ok) < mark + 500)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);

        output.WriteLine($"{ok} answered, {failedEarly} failed while the dead worker still had requests, {failedLate} after; {await MetricsText.SumAsync(gateway, "serving_gateway_retries_total")} retries so far in this process");
        Assert.Equal(0, failedLate);

        // Only requests the dead worker already had: one in flight per client, plus one per client that
        // raced onto a kept-alive connection the kill had just closed.
        Assert.InRange(failedEarly, 0, 2 * Concurrency);
    }

    [Fact]
    public async Task ConnectionRefused_RetriedOnceOnAnotherWorker_NoFailure()
    {
        // Probes that never run again and a short exclusion: only the retry keeps requests whole.
        await using var gateway = await GatewayServer.StartAsync([_a, _b], new Dictionary<string, string?>
        {
            ["Serving:Gateway:DiscoveryInterval"] = "00:10:00",
            ["Serving:Gateway:PassiveReactivationPeriod"] = "00:00:00.050",
        });
        await Workers.KillAsync(_a);
        var retriesBefore = await MetricsText.SumAsync(gateway, "serving_gateway_retries_total");

        for (var i = 0; i < 40; i++)
        {
            var (status, _, body) = await Infer.RestAsync(gateway.Http);
            Assert.True(status == HttpStatusCode.OK, body);
            await Infer.GrpcAsync(gateway.Grpc);
            await Task.Delay(5);
        }

        Assert.True(await MetricsText.SumAsync(gateway, "serving_gateway_retries_total") > retriesBefore);
    }

    [Fact]
    public async Task EveryWorkerOfTheVersionDead_Unavailable_NotAHang()
    {
        await using var gateway = await GatewayServer.StartAsync([_a], new Dictionary<string, string?> { ["Serving:Gateway:DiscoveryInterval"] = "00:10:00" });
        await Workers.KillAsync(_a);

        var (status, _, body) = await Infer.RestAsync(gateway.Http);
        var grpc = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Infer.GrpcAsync(gateway.Grpc));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("error", body, StringComparison.Ordinal);
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, grpc.StatusCode);
    }
}
