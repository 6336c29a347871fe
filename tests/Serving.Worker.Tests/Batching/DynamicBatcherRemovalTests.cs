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

    /// <summary>
    /// A request whose deadline passed while it waited doesn't run when a batch goes before its own timer fires (.NET's
    /// timers fire late: a millisecond and more, far more on a busy thread pool; here they never do). A (1 row, its
    /// deadline 100 ms away) waits; once that has passed, B (3 rows) makes a preferred 4, which went at once with A in it,
    /// and A answered after its deadline. Now A expires as the batch forms, and B, a preferred 3 alone, goes.
    /// </summary>
    [Fact]
    public async Task DeadlinePassed_ItsTimerLate_TheBatchThatGoesLeavesItOut_Expired()
    {
        var runner = new EchoRunner();
        var metrics = new BatchingMetrics.Series("removal-test-late-timer", "1");
        using var batcher = new DynamicBatcher(
            runner, new BatchSettings(8, 60 * Stopwatch.Frequency, [4, 3], 64, 1, 0), metrics, NullLogger.Instance, deadlineTimers: new TimersThatNeverFire());
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10);
        var a = batcher.EnqueueAsync(Rows(1), Outputs, deadline, CancellationToken.None);
        await UntilAsync(() => Stopwatch.GetTimestamp() > deadline, "A's deadline never passed");

        // A is still queued here unless the loop looked at the queue after A's deadline (its first look after A came,
        // on a busy machine, can be that late: seen in CI); either way the loop takes A out, as nothing else would.
        var b = batcher.EnqueueAsync(Rows(3), Outputs, CallerDeadline.NotGiven, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InferenceException>(() => a.WaitAsync(Guard));
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, error.Code);
        await b.WaitAsync(Guard);
        Assert.Equal([3], runner.Runs);
        Assert.Equal((1, 0), (metrics.Expired.Value, metrics.Cancelled.Value));
        Assert.Equal(0, batcher.QueueLength);
    }

    /// <summary>
    /// Unloading ends the loops once the queue is served, expired requests included: one whose deadline passed (its timer
    /// late) is answered DEADLINE_EXCEEDED as the queue is served, and the loops end rather than wait for more.
    /// </summary>
    [Fact]
    public async Task Dispose_ARequestsDeadlinePassed_ItsTimerLate_ExpiredAndTheLoopsEnd()
    {
        var runner = new EchoRunner();
        var metrics = new BatchingMetrics.Series("removal-test-late-timer-dispose", "1");
        var batcher = new DynamicBatcher(
            runner, new BatchSettings(8, Stopwatch.Frequency / 10, [], 64, 1, 0), metrics, NullLogger.Instance, deadlineTimers: new TimersThatNeverFire());
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20);
        var a = batcher.EnqueueAsync(Rows(1), Outputs, deadline, CancellationToken.None);
        await UntilAsync(() => Stopwatch.GetTimestamp() > deadline, "A's deadline never passed");

        batcher.Dispose();

        var error = await Assert.ThrowsAsync<InferenceException>(() => a.WaitAsync(Guard));
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, error.Code);
        await batcher.Stopped.WaitAsync(Guard);
        Assert.Empty(runner.Runs);
        Assert.Equal(1, metrics.Expired.Value);
    }

    /// <summary>A clock whose timers never fire: a deadline's timer that is late for as long as the test lasts.</summary>
    private sealed class TimersThatNeverFire : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Never();

        private sealed class Never : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
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
