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
}
