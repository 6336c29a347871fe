using System.Diagnostics;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;

namespace Serving.Worker.Tests.Batching;

public sealed class BatchPlannerTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    private static BatchSettings Settings(int max = 8, long delayMs = 10, params int[] preferred) =>
        new(max, delayMs * Ms, preferred.OrderDescending().ToArray(), 100, 1, 0);

    private static BatchItem Item(int rows, long enqueuedAt = 0, int width = 4) =>
        new([InferTensor.Fixed("x", DataType.FP32, [rows, width], new byte[rows * width * 4])], ["y"], enqueuedAt, long.MaxValue);

    private static LinkedList<BatchItem> Queue(params BatchItem[] items) => new(items);

    [Fact]
    public void Plan_PartialBatchBeforeDelay_WaitsUntilOldestPlusDelay()
    {
        var plan = BatchPlanner.Plan(Queue(Item(2, enqueuedAt: 100), Item(3, enqueuedAt: 200)), Settings(), now: 100 + Ms);
        Assert.Equal(0, plan.Take);
        Assert.Equal(100 + (10 * Ms), plan.WaitUntil);
    }

    [Fact]
    public void Plan_PartialBatchAfterDelay_SendsEverythingThatFits()
    {
        var plan = BatchPlanner.Plan(Queue(Item(2), Item(3)), Settings(), now: 11 * Ms);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_ExactlyFull_SendsAtOnce()
    {
        var plan = BatchPlanner.Plan(Queue(Item(4), Item(4), Item(1)), Settings(max: 8), now: 0);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_NextRequestDoesNotFit_SendsWithoutSplittingIt()
    {
        // 5 + 5 > 8: the second request's rows are never split; the first goes alone, at once.
        var plan = BatchPlanner.Plan(Queue(Item(5), Item(5)), Settings(max: 8), now: 0);
        Assert.Equal(1, plan.Take);
    }

    [Fact]
    public void Plan_DifferentNonBatchShape_ClosesTheBatchInArrivalOrder()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1, width: 4), Item(1, width: 4), Item(1, width: 5), Item(1, width: 4)), Settings(), now: 0);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_PreferredSizeFormedExactly_SendsLargestPreferredPrefixAtOnce()
    {
        var plan = BatchPlanner.Plan(Queue(Item(2), Item(2), Item(1), Item(1)), Settings(max: 16, delayMs: 1000, 2, 4, 5), now: 0);
        // Prefix rows are 2, 4, 5, 6: the largest preferred size formed is 5, the first three requests.
        Assert.Equal(3, plan.Take);
    }

    [Fact]
    public void Plan_PreferredSizeFormed_NextDoesNotFit_SendsThePreferredSizeNotEverythingThatFits()
    {
        // Prefix rows 4, 7, then 2 more would pass 8: the batch can't grow, but 4 is preferred and within the delay.
        var plan = BatchPlanner.Plan(Queue(Item(4), Item(3), Item(2)), Settings(max: 8, delayMs: 1000, 4), now: 0);
        Assert.Equal(1, plan.Take);
    }

    [Fact]
    public void Plan_PreferredSizeFormed_ShapeChanges_SendsThePreferredSize()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1), Item(1), Item(1), Item(1, width: 5)), Settings(max: 8, delayMs: 1000, 2), now: 0);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_PreferredSizeFormed_DelayPassed_SendsEverythingThatFits()
    {
        var plan = BatchPlanner.Plan(Queue(Item(2), Item(1), Item(2)), Settings(max: 16, delayMs: 10, 2), now: 11 * Ms);
        Assert.Equal(3, plan.Take);
    }

    [Fact]
    public void Plan_NoPreferredSizeFormed_WaitsForTheDelay()
    {
        var plan = BatchPlanner.Plan(Queue(Item(3)), Settings(max: 16, delayMs: 1000, 2, 4), now: 0);
        Assert.Equal(0, plan.Take);
    }

    /// <summary>
    /// With no delay, an instance that comes free takes the largest preferred size the queue forms, as Triton's does, and
    /// the rest goes next: it took everything that fit (bench_mlp at 16 callers, preferred 4: a quarter of its batches 5-16 rows).
    /// </summary>
    [Fact]
    public void Plan_ZeroDelay_PreferredSizeFormed_SendsTheLargestPreferredPrefix()
    {
        var queue = Queue(Item(1), Item(1), Item(1), Item(1), Item(1), Item(1));
        Assert.Equal(4, BatchPlanner.Plan(queue, Settings(max: 8, delayMs: 0, 2, 4), now: 0).Take);
        Assert.Equal(2, BatchPlanner.Plan(Queue(Item(1), Item(2), Item(3)), Settings(max: 8, delayMs: 0, 3, 5), now: 0).Take); // rows 1, 3, 6
    }

    [Fact]
    public void Plan_ZeroDelay_NoPreferredSizeFormed_SendsEverythingThatFits()
    {
        var plan = BatchPlanner.Plan(Queue(Item(3), Item(3), Item(3)), Settings(max: 8, delayMs: 0, 4), now: 0);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_ZeroDelay_SendsPartialBatchAtOnce()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1)), Settings(delayMs: 0), now: 0);
        Assert.Equal(1, plan.Take);
    }

    private static BatchSettings GapSettings(long delayMs = 10, long gapMs = 1, int max = 8) => new(max, delayMs * Ms, [], 100, 1, 0, gapMs * Ms);

    [Fact]
    public void Plan_ArrivalGap_ArrivalsWithinTheGap_WaitUntilLastArrivalPlusGap()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1, enqueuedAt: 0), Item(1, enqueuedAt: 3 * Ms)), GapSettings(), now: 3 * Ms, lastArrivalAt: 3 * Ms);
        Assert.Equal(0, plan.Take);
        Assert.Equal(4 * Ms, plan.WaitUntil);
    }

    [Fact]
    public void Plan_ArrivalGap_NoArrivalForTheGap_SendsBeforeTheDelay()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1, enqueuedAt: 0), Item(1, enqueuedAt: 2 * Ms)), GapSettings(), now: 3 * Ms, lastArrivalAt: 2 * Ms);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_ArrivalGap_NeverWaitsPastTheDelay_HoweverLateTheLastArrival()
    {
        var waiting = BatchPlanner.Plan(Queue(Item(1, enqueuedAt: 0), Item(1, enqueuedAt: (10 * Ms) - 1)), GapSettings(), now: 10 * Ms - 1, lastArrivalAt: (10 * Ms) - 1);
        Assert.Equal(10 * Ms, waiting.WaitUntil);

        var sent = BatchPlanner.Plan(Queue(Item(1, enqueuedAt: 0), Item(1, enqueuedAt: (10 * Ms) - 1)), GapSettings(), now: 10 * Ms, lastArrivalAt: (10 * Ms) - 1);
        Assert.Equal(2, sent.Take);
    }

    [Fact]
    public void Plan_NoWait_SendsPartialBatchAtOnce_AsAZeroDelay()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1, enqueuedAt: 0), Item(2, enqueuedAt: 0)), GapSettings(delayMs: 1000, gapMs: 100), now: 0, lastArrivalAt: 0, noWait: true);
        Assert.Equal(2, plan.Take);
    }

    [Fact]
    public void Plan_NoArrivalGap_LastArrivalIgnored_WaitsForTheDelay()
    {
        var plan = BatchPlanner.Plan(Queue(Item(1, enqueuedAt: 0)), Settings(), now: 5 * Ms, lastArrivalAt: 0);
        Assert.Equal(0, plan.Take);
        Assert.Equal(10 * Ms, plan.WaitUntil);
    }
}
