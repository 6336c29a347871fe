using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Metrics;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Batching;

/// <summary>
/// With a queue delay and an arrival gap, a partial batch waits while requests keep arriving and goes once they stop;
/// a wait that gained no request (a lone caller) lets the next batches go without waiting. And with any delay, an
/// arrival that only joins a waiting batch wakes no loop: the one that fills the batch does. The delays here are a
/// minute, so a batch that waited them out would fail the tests' 30-second guards.
/// </summary>
public sealed class DynamicBatcherArrivalGapTests
{
    private static readonly string[] Outputs = ["y"];
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private const long DelayMicros = 60_000_000;

    private static InferTensor[] Row(float value) =>
        [InferTensor.Fixed("x", DataType.FP32, [1, 1], BitConverter.GetBytes(value))];

    private static float Value(BatchResult result) => BitConverter.ToSingle(result.Outputs[0].Data.Span);

    private static DynamicBatcher Batcher(IModelRunner runner, TimeSpan gap, long delayMicros = DelayMicros) => new(
        runner,
        new BatchSettings(8, delayMicros * Stopwatch.Frequency / 1_000_000, [], 64, 1, 0, (long)(gap.TotalSeconds * Stopwatch.Frequency)),
        new BatchingMetrics.Series("arrival-gap-test", "1"),
        NullLogger.Instance);

    private static Task<BatchResult> Enqueue(DynamicBatcher batcher, float value) =>
        batcher.EnqueueAsync(Row(value), Outputs, long.MaxValue, CancellationToken.None);

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task LoneCaller_FirstRequestWaitsTheGap_NextFifteenRunAtOnceOnItsThread_ThenItWaitsAgain()
    {
        var runner = new EchoRunner();
        using var batcher = Batcher(runner, TimeSpan.FromMilliseconds(20));

        var first = Enqueue(batcher, 1);
        Assert.False(first.IsCompleted, "with waits on, a lone request queues for company");
        Assert.Equal(1f, Value(await first.WaitAsync(Guard))); // ended by the gap, not the minute's delay
        Assert.Equal(1, batcher.IdleWaits);

        for (var n = 0; n < DynamicBatcher.NoWaitBatchesAfterIdleWait; n++)
        {
            var answer = Enqueue(batcher, 10 + n);
            Assert.True(answer.IsCompletedSuccessfully, $"request {n + 1} after the idle wait should have run before EnqueueAsync returned");
            Assert.Equal(10 + n, Value(await answer));
        }

        Assert.Equal(DynamicBatcher.NoWaitBatchesAfterIdleWait, batcher.InlineRuns);

        var again = Enqueue(batcher, 99);
        Assert.False(again.IsCompleted, "after the no-wait batches, the next request waits for company again");
        Assert.Equal(99f, Value(await again.WaitAsync(Guard)));
        Assert.Equal(2, batcher.IdleWaits);
        Assert.All(runner.Runs, rows => Assert.Equal(1, rows));
    }

    [Fact]
    public async Task GapLongerThanTheDelay_ALoneCallersWaitEndsWithTheDelay_AndStillTurnsWaitsOff()
    {
        var runner = new EchoRunner();
        using var batcher = Batcher(runner, TimeSpan.FromMinutes(1), delayMicros: 20_000);

        Assert.Equal(1f, Value(await Enqueue(batcher, 1).WaitAsync(Guard)));
        Assert.Equal(1, batcher.IdleWaits);

        var next = Enqueue(batcher, 2);
        Assert.True(next.IsCompletedSuccessfully, "after the idle wait the next request should have run before EnqueueAsync returned");
        Assert.Equal(1, batcher.InlineRuns);
    }

    [Fact]
    public async Task ArrivalsWithinTheGap_JoinOneBatch_WhichGoesWhenTheyStop_NotAfterTheDelay()
    {
        var runner = new EchoRunner();
        using var batcher = Batcher(runner, TimeSpan.FromSeconds(2));

        Task<BatchResult>[] answers = [Enqueue(batcher, 1), Enqueue(batcher, 2), Enqueue(batcher, 3)];
        var results = await Task.WhenAll(answers).WaitAsync(Guard);

        Assert.Equal([1f, 2f, 3f], results.Select(Value));
        Assert.Equal([3], runner.Runs);
        Assert.Equal(0, batcher.IdleWaits); // the wait gained two requests: waits stay on
        Assert.Equal(0, batcher.InlineRuns);
    }

    [Fact]
    public async Task ArrivalsThatOnlyJoinAWaitingBatch_WakeNoLoop_TheOneThatFillsItGoesAtOnce()
    {
        var runner = new EchoRunner();
        using var batcher = new DynamicBatcher(
            runner,
            new BatchSettings(8, DelayMicros * Stopwatch.Frequency / 1_000_000, [], 64, 1, 0),
            new BatchingMetrics.Series("arrival-wake-test", "1"),
            NullLogger.Instance);
        await UntilAsync(() => batcher.SleepingLoops == 1, "the loop never went to sleep");

        var answers = new List<Task<BatchResult>> { Enqueue(batcher, 0) };
        Assert.Equal(1, batcher.LoopWakes); // the queue was empty: the loop plans, then sleeps until the delay
        await UntilAsync(() => batcher.SleepingLoops == 1, "the loop never went back to sleep on the batch's deadline");

        for (var n = 1; n < 7; n++)
        {
            answers.Add(Enqueue(batcher, n));
        }

        Assert.Equal(1, batcher.LoopWakes);
        Assert.Equal(7, batcher.QueueLength);

        answers.Add(Enqueue(batcher, 7)); // the eighth row fills the batch
        var results = await Task.WhenAll(answers).WaitAsync(Guard);

        Assert.Equal(2, batcher.LoopWakes);
        Assert.Equal(Enumerable.Range(0, 8).Select(n => (float)n), results.Select(Value));
        Assert.Equal([8], runner.Runs);
    }
}
