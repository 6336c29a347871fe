using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>Active health: a worker that stays up but answers "not ready" to the Open Inference Protocol ready probe gets no requests once the probes have seen it.</summary>
public sealed class ActiveHealthTests
{
    private const string Model = "probed";

    [Fact]
    public async Task WorkerUpButNotReady_GetsNoRequestsOnceProbed_AndGetsThemBackWhenReady()
    {
        await using var flaky = await StubWorker.AnsweringAsync(Model, "1");
        await using var steady = await StubWorker.AnsweringAsync(Model, "1");
        await using var gateway = await StubWorker.GatewayAsync([flaky, steady], discoveryInterval: "00:00:00.100");
        await Poll.UntilAsync(async () => await Infer.SucceedsAsync(gateway, Model, "1", grpc: false) && flaky.Calls > 0 && steady.Calls > 0);

        flaky.Ready = false;

        // Discovery rounds run one after another, so once a second probe has been answered "not ready" the gateway has acted on the first.
        await Poll.UntilAsync(() => flaky.NotReadyAnswers >= 2);
        var (flakyBefore, steadyBefore) = (flaky.Calls, steady.Calls);
        for (var i = 0; i < 40; i++)
        {
            Assert.True(await Infer.SucceedsAsync(gateway, Model, "1", grpc: i % 2 == 0), $"request {i} failed");
        }

        Assert.Equal(flakyBefore, flaky.Calls);
        Assert.Equal(steadyBefore + 40, steady.Calls);

        flaky.Ready = true;
        await Poll.UntilAsync(async () => await Infer.SucceedsAsync(gateway, Model, "1", grpc: false) && flaky.Calls > flakyBefore);
    }

    /// <summary>
    /// A worker discovery no longer finds (an address a DNS name stopped resolving to, as a headless Service drops the pod
    /// a rolling update replaced) loses its <c>serving_gateway_worker_healthy</c> series. The series stayed at its last
    /// value, 1, for good: each deploy added workers counted healthy that no longer existed, one series per pod address
    /// ever seen.
    /// </summary>
    [Fact]
    public async Task WorkerNoLongerDiscovered_ItsHealthSeriesIsRemoved()
    {
        await using var leaving = await StubWorker.AnsweringAsync("departing", "1");
        await using var staying = await StubWorker.AnsweringAsync("departing", "1");
        await using var gateway = await StubWorker.GatewayAsync([leaving, staying], discoveryInterval: "00:00:00.100");
        var (gone, kept) = ($"worker=\"http://127.0.0.1:{leaving.RestPort}\"", $"worker=\"http://127.0.0.1:{staying.RestPort}\"");
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", gone));

        // What a DNS name resolves to is read every round; so is the list of workers, which here loses one.
        var options = gateway.Service<IOptions<GatewayOptions>>().Value;
        options.Workers = [.. options.Workers.Where(w => w.Rest != $"http://127.0.0.1:{leaving.RestPort}")];

        await Poll.UntilAsync(async () => !(await gateway.Metrics.GetStringAsync("/metrics")).Contains(gone, StringComparison.Ordinal));
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", kept));
    }
}
