using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// What the gateway retries: a request that could not connect goes once to another worker of the version, never twice;
/// a request the worker has started to answer is never sent anywhere else, even when that answer breaks off.
/// </summary>
public sealed class RetryTests
{
    // A model no other test uses, so the process-wide retry counter for it counts only this class's requests.
    private const string Model = "retried";

    [Fact]
    public async Task WorkerAbortsAfterItStartedAnswering_CallerGetsAnError_NotRetriedOnTheHealthyWorker()
    {
        await using var aborting = await StubWorker.AbortingMidAnswerAsync(Model, "1");
        await using var healthy = await StubWorker.AnsweringAsync(Model, "1");

        // No probes after the first and no exclusion after a failure: both workers stay candidates for every request.
        await using var gateway = await StubWorker.GatewayAsync([aborting, healthy], discoveryInterval: "00:10:00", keepFailingWorkers: true);

        var aborted = 0;
        for (var i = 0; aborted < 10; i++)
        {
            Assert.True(i < 500, $"the aborting worker got only {aborted} of {i} requests");
            var (abortingBefore, healthyBefore) = (aborting.Calls, healthy.Calls);
            var grpc = i % 2 == 0;

            var failed = !await Infer.SucceedsAsync(gateway, Model, "1", grpc);

            if (aborting.Calls == abortingBefore)
            {
                Assert.False(failed, $"request {i} ({(grpc ? "gRPC" : "REST")}) went to the healthy worker and failed");
                continue;
            }

            aborted++;
            Assert.True(failed, $"request {i} ({(grpc ? "gRPC" : "REST")}) was cut off by its worker but the caller got a success");
            Assert.Equal(healthyBefore, healthy.Calls);
        }
    }

    [Fact]
    public async Task WorkerBreaksOffItsGrpcAnswer_CallerGetsUnavailableFromTheGateway_NotAResetStream()
    {
        await using var aborting = await StubWorker.AbortingMidAnswerAsync(Model, "3");
        await using var gateway = await StubWorker.GatewayAsync([aborting], discoveryInterval: "00:10:00", keepFailingWorkers: true);

        // The gateway reads a gRPC answer whole before writing any of it: nothing had gone to the caller, so it answers
        // with a status of its own (a reset stream would reach the caller as INTERNAL).
        var e = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(gateway.Grpc, Infer.GrpcRequest(Model, "3")));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("failed before answering", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, aborting.Calls);
    }

    [Fact]
    public async Task ConnectFailure_RetriedAtMostOnce()
    {
        await using var deadA = await StubWorker.AnsweringAsync(Model, "2");
        await using var deadB = await StubWorker.AnsweringAsync(Model, "2");
        await using var live = await StubWorker.AnsweringAsync(Model, "2");
        await using var gateway = await StubWorker.GatewayAsync([deadA, deadB, live], discoveryInterval: "00:10:00", keepFailingWorkers: true);
        await deadA.KillAsync();
        await deadB.KillAsync();
        var retriedOnce = 0;
        var failed = 0;

        // A request that meets both dead workers is retried once and then fails, though a live worker is there.
        for (var i = 0; i < 60 && (retriedOnce == 0 || failed == 0); i++)
        {
            var before = await RetriesAsync(gateway);
            var liveBefore = live.Calls;

            var requestFailed = !await Infer.SucceedsAsync(gateway, Model, "2", grpc: i % 2 == 0);

            var retries = await RetriesAsync(gateway) - before;
            Assert.InRange(retries, 0, 1);
            Assert.Equal(requestFailed ? liveBefore : liveBefore + 1, live.Calls);
            retriedOnce += retries == 1 && !requestFailed ? 1 : 0;
            failed += requestFailed ? 1 : 0;
            Assert.True(!requestFailed || retries == 1, $"request {i} failed without a retry");
        }

        Assert.True(retriedOnce > 0 && failed > 0, $"{retriedOnce} requests retried onto the live worker, {failed} failed after one retry");
    }

    private static Task<double> RetriesAsync(GatewayServer gateway) => MetricsText.SumAsync(gateway, "serving_gateway_retries_total", $"model=\"{Model}\"");
}
