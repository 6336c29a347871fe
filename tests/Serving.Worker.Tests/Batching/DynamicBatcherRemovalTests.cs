using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Metrics;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Batching;

/// <summary>
/// A request leaves the queue when its caller goes away or its deadline passes: a caller that goes away at its
/// deadline expired. The queue delay here is a minute, so a batch that waited it out would fail the 30-second guards.
/// </summary>
public sealed class DynamicBatcherRemovalTests
{
    private static readonly string[] Outputs = ["y"];
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static DynamicBatcher Batcher(IModelRunner runner, BatchingMetrics.Series metrics, params int[] preferred) => new(
        runner, new BatchSettings(8, 60 * Stopwatch.Frequency, preferred, 64, 1, 0), metrics, NullLogger.Instance);

    private static InferTensor[] Rows(int rows) =>
        [InferTensor.Fixed("x", DataType.FP32, [rows, 1], new byte[rows * sizeof(float)])];

    /// <summary>
    /// A client cancels at its own deadline, by a clock that started before the worker's: its request expired, while one
    /// whose caller goes away long before the deadline is cancelled. The first also warms the path up, so the second's
    /// cancellation comes before the queue's own timer (5 ms away) fires.
    /// </summary>
    [Fact]
    public async Task CallerGoesAway_LongBeforeItsDeadline_Cancelled_JustBefore_Expired()
    {
        var metrics = new BatchingMetrics.Series("removal-test-deadline", "1");
        using var batcher = Batcher(new EchoRunner(), metrics);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LeaveAsync(batcher, Stopwatch.Frequency * 60));
        Assert.Equal((0, 1), (metrics.Expired.Value, metrics.Cancelled.Value));

        var error = await Assert.ThrowsAsync<InferenceException>(() => LeaveAsync(batcher, Stopwatch.Frequency / 200));
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, error.Code);
        Assert.Equal((1, 1), (metrics.Expired.Value, metrics.Cancelled.Value));
    }

    /// <summary>
    /// A (1 row), B (2) and C (3) make 6 rows, no preferred size (4, 8), so they wait out the delay; B's caller goes
    /// away and A and C make 4, a preferred size, which goes at once. It waited out the delay (a minute here).
    /// </summary>
    [Fact]
    public async Task RemovalLeavesAPreferredSize_TheRestGoAtOnce()
    {
        var runner = new EchoRunner();
        using var batcher = Batcher(runner, new BatchingMetrics.Series("removal-test-replan", "1"), 8, 4);
        using var leaves = new CancellationTokenSource();
        var a = batcher.EnqueueAsync(Rows(1), Outputs, CallerDeadline.NotGiven, CancellationToken.None);
        var b = batcher.EnqueueAsync(Rows(2), Outputs, CallerDeadline.NotGiven, leaves.Token);
        var c = batcher.EnqueueAsync(Rows(3), Outputs, CallerDeadline.NotGiven, CancellationToken.None);
        await UntilAsync(() => batcher.SleepingLoops == 1, "the loop never went to sleep on the 6 rows");
        Assert.Equal(3, batcher.QueueLength);

        await leaves.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.WaitAsync(Guard));
        await Task.WhenAll(a, c).WaitAsync(Guard);
        Assert.Equal([4], runner.Runs);
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(1);
        }
    }

    /// <summary>Queues a row with a deadline <paramref name="deadlineIn"/> ticks away, and goes away at once.</summary>
    private static async Task<BatchResult> LeaveAsync(DynamicBatcher batcher, long deadlineIn)
    {
        using var leaves = new CancellationTokenSource();
        var answer = batcher.EnqueueAsync(Rows(1), Outputs, Stopwatch.GetTimestamp() + deadlineIn, leaves.Token);
        leaves.Cancel(); // its callback, which takes the request out, runs here and now
        return await answer.WaitAsync(Guard);
    }
}
