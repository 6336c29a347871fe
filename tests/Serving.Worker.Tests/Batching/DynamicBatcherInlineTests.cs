using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Metrics;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Batching;

/// <summary>
/// With no queue delay, a request that finds the queue empty and an instance idle runs at once on its own thread;
/// the instance limit holds across inline runs and the batch loops.
/// </summary>
public sealed class DynamicBatcherInlineTests
{
    private static readonly string[] Outputs = ["y"];

    /// <summary>Echoes its input as output "y"; can hold every run at a gate, and records threads and concurrency.</summary>
    private sealed class GatedRunner : IModelRunner
    {
        private int _running;
        private int _maxRunning;

        public ManualResetEventSlim Gate { get; } = new(initialState: true);

        public SemaphoreSlim Entered { get; } = new(0);

        public List<int> Threads { get; } = [];

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public ModelSignature Signature { get; } = new(
            [new TensorSignature("x", DataType.FP32, [-1, 1])], [new TensorSignature("y", DataType.FP32, [-1, 1])], 8);

        public List<InferTensor> Run(InferTensor[] inputs, string[] outputNames)
        {
            var now = Interlocked.Increment(ref _running);
            int seen;
            while ((seen = Volatile.Read(ref _maxRunning)) < now && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen)
            {
            }

            lock (Threads)
            {
                Threads.Add(Environment.CurrentManagedThreadId);
            }

            Entered.Release();
            try
            {
                Assert.True(Gate.Wait(TimeSpan.FromSeconds(30)), "the test never opened the gate");
                var x = inputs[0];
                return [InferTensor.Fixed("y", DataType.FP32, x.Shape, x.Data.ToArray())];
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    private static InferTensor[] Row(float value) =>
        [InferTensor.Fixed("x", DataType.FP32, [1, 1], BitConverter.GetBytes(value))];

    private static DynamicBatcher Batcher(IModelRunner runner, long delayMicros = 0, int instances = 1) => new(
        runner,
        new BatchSettings(8, delayMicros * System.Diagnostics.Stopwatch.Frequency / 1_000_000, [], 16, instances, 0),
        new BatchingMetrics.Series("inline-test", "1"),
        NullLogger.Instance);

    /// <summary>A batcher for a model with a feature store (entity input "id" fills "x"), no queue delay.</summary>
    private static DynamicBatcher FeatureBatcher(IModelRunner runner, int instances = 1) => new(
        runner,
        new BatchSettings(8, 0, [], 16, instances, 0),
        new BatchingMetrics.Series("inline-features-test", "1"),
        NullLogger.Instance,
        NumberFeatures.Lookup("inline-features-test", new NumberFeatures()));

    private static Task<BatchResult> Entity(DynamicBatcher batcher, int n) => NumberFeatures.Enqueue(batcher, n, Outputs);

    private static float Value(BatchResult result) => BitConverter.ToSingle(result.Outputs[0].Data.Span);

    /// <summary>Enqueues a row of <paramref name="value"/> on an idle batcher: it runs on this thread, before EnqueueAsync returns.</summary>
    private static async Task AssertRunsOnTheCallersThread(DynamicBatcher batcher, GatedRunner runner, float value)
    {
        var caller = Environment.CurrentManagedThreadId;
        var answer = batcher.EnqueueAsync(Row(value), Outputs, long.MaxValue, CancellationToken.None);

        Assert.True(answer.IsCompletedSuccessfully, "the request should have run before EnqueueAsync returned");
        Assert.Equal(value, Value(await answer));
        Assert.Equal([caller], runner.Threads);
        Assert.Equal(1, batcher.InlineRuns);
    }

    [Fact]
    public async Task IdleInstanceEmptyQueue_RunsOnTheCallersThread_AnswerReadyOnReturn()
    {
        var runner = new GatedRunner();
        using var batcher = Batcher(runner);

        await AssertRunsOnTheCallersThread(batcher, runner, 4.5f);
        Assert.Equal(1, batcher.Executions);
    }

    [Fact]
    public async Task WithADelay_LoneRequestWaitsTheDelayOnTheBatchTimer_ThenRunsAlone()
    {
        var runner = new GatedRunner();
        // Long enough that the loop has surely gone to sleep on the timer before the delay is over (with 30 ms, a loop
        // woken late on a busy machine found the delay already past, sent at once, and never used the timer).
        using var batcher = Batcher(runner, delayMicros: 1_000_000);
        var fired = BatchDelayTimer.Shared.Fired;

        var enqueued = System.Diagnostics.Stopwatch.GetTimestamp();
        var answer = batcher.EnqueueAsync(Row(2.5f), Outputs, long.MaxValue, CancellationToken.None);
        var result = await answer.WaitAsync(TimeSpan.FromSeconds(30));

        // Never sooner than the delay (the loop re-plans when the clock ends its sleep, and only then sends).
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(enqueued) >= TimeSpan.FromSeconds(1), "the partial batch went before its delay");
        Assert.Equal(2.5f, Value(result));
        Assert.Equal(0, batcher.InlineRuns);
        Assert.Equal(1, batcher.Executions);
        Assert.True(BatchDelayTimer.Shared.Fired > fired, "the batch timer did not end the loop's sleep");
    }

    /// <summary>With the runner's gate closed: a first request runs inline and holds the one instance, two more queue behind it.</summary>
    private static async Task<(Task<BatchResult> First, Task<BatchResult> Second, Task<BatchResult> Third)> OneInlineTwoQueued(DynamicBatcher batcher, GatedRunner runner)
    {
        var first = Task.Run(() => batcher.EnqueueAsync(Row(1), Outputs, long.MaxValue, CancellationToken.None));
        Assert.True(await runner.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the first request never ran");
        var second = batcher.EnqueueAsync(Row(2), Outputs, long.MaxValue, CancellationToken.None);
        var third = batcher.EnqueueAsync(Row(3), Outputs, long.MaxValue, CancellationToken.None);
        return (first, second, third);
    }

    [Fact]
    public async Task OneInstanceBusyInline_NextRequestQueues_NeverTwoRunsAtOnce()
    {
        var runner = new GatedRunner();
        runner.Gate.Reset();
        using var batcher = Batcher(runner);
        var (first, second, third) = await OneInlineTwoQueued(batcher, runner);

        // The one instance is taken by the inline run: the others wait in the queue, and no loop runs them yet.
        Assert.Equal(2, batcher.QueueLength);
        Assert.False(second.IsCompleted);
        runner.Gate.Set();

        Assert.Equal(1f, Value(await first));
        Assert.Equal(2f, Value(await second));
        Assert.Equal(3f, Value(await third));
        Assert.Equal(1, runner.MaxRunning);
        Assert.Equal(1, batcher.InlineRuns);
        Assert.Equal(2, runner.Threads.Count); // two model runs: the inline one, then the queued two together, taken by the loop once the instance was free
    }

    [Fact]
    public async Task BatchAnswers_DeliveredOnTheLoopsThread_AfterTheInstanceIsFree()
    {
        var runner = new GatedRunner();
        runner.Gate.Reset();
        using var batcher = Batcher(runner);

        // The inline run holds the one instance, so the next two queue and a loop takes them together.
        var (first, second, third) = await OneInlineTwoQueued(batcher, runner);

        // What the request does next, run where the answer is completed: it calls again at once.
        var next = second.ContinueWith(
            _ =>
            {
                var fourth = batcher.EnqueueAsync(Row(4), Outputs, long.MaxValue, CancellationToken.None);
                return (Thread: Environment.CurrentManagedThreadId, AnsweredOnReturn: fourth.IsCompleted, Fourth: fourth);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        runner.Gate.Set();

        Assert.Equal(1f, Value(await first));
        Assert.Equal(2f, Value(await second));
        Assert.Equal(3f, Value(await third));
        var (thread, answeredOnReturn, fourth) = await next.WaitAsync(TimeSpan.FromSeconds(30));

        // The loop ran the second batch and completed its answers itself, with no hop to another thread ...
        Assert.Equal(runner.Threads[1], thread);

        // ... once the instance was free: the fourth request found it idle and ran inline, answered when EnqueueAsync returned.
        Assert.True(answeredOnReturn, "the answer was delivered while the batch still held the instance: the next request queued");
        Assert.Equal(4f, Value(await fourth));
        Assert.Equal(2, batcher.InlineRuns);
    }

    [Fact]
    public async Task TwoInstances_TwoInlineRunsAtOnce_ThirdQueues()
    {
        var runner = new GatedRunner();
        runner.Gate.Reset();
        using var batcher = Batcher(runner, instances: 2);

        var first = Task.Run(() => batcher.EnqueueAsync(Row(1), Outputs, long.MaxValue, CancellationToken.None));
        var second = Task.Run(() => batcher.EnqueueAsync(Row(2), Outputs, long.MaxValue, CancellationToken.None));
        Assert.True(await runner.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await runner.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        var third = batcher.EnqueueAsync(Row(3), Outputs, long.MaxValue, CancellationToken.None);

        Assert.Equal(1, batcher.QueueLength);
        runner.Gate.Set();

        Assert.Equal(1f, Value(await first));
        Assert.Equal(2f, Value(await second));
        Assert.Equal(3f, Value(await third));
        Assert.Equal(2, runner.MaxRunning);
        Assert.Equal(2, batcher.InlineRuns);
    }

    [Fact]
    public async Task WithAQueueDelay_NeverInline_TheLoopRunsIt()
    {
        var runner = new GatedRunner();
        using var batcher = Batcher(runner, delayMicros: 1000);

        var caller = Environment.CurrentManagedThreadId;
        Assert.Equal(7f, Value(await batcher.EnqueueAsync(Row(7), Outputs, long.MaxValue, CancellationToken.None)));

        Assert.Equal(0, batcher.InlineRuns);
        Assert.Single(runner.Threads);
    }

    [Fact]
    public async Task DeadlineAlreadyPast_NotRunInline_DeadlineExceeded()
    {
        var runner = new GatedRunner();
        using var batcher = Batcher(runner);

        var e = await Assert.ThrowsAsync<Serving.Protocol.Errors.InferenceException>(
            () => batcher.EnqueueAsync(Row(1), Outputs, System.Diagnostics.Stopwatch.GetTimestamp() - 1, CancellationToken.None));

        Assert.Equal(Serving.Protocol.Errors.InferenceErrorCode.DeadlineExceeded, e.Code);
        Assert.Equal(0, batcher.InlineRuns);
        Assert.Empty(runner.Threads);
    }

    [Fact]
    public async Task Unloading_RefusedAsBefore_NotRunInline()
    {
        var runner = new GatedRunner();
        var batcher = Batcher(runner);
        batcher.Dispose();

        var e = await Assert.ThrowsAsync<Serving.Protocol.Errors.InferenceException>(
            () => batcher.EnqueueAsync(Row(1), Outputs, long.MaxValue, CancellationToken.None));

        Assert.Equal(Serving.Protocol.Errors.InferenceErrorCode.Unavailable, e.Code);
        Assert.Empty(runner.Threads);
    }

    [Fact]
    public async Task WithAFeatureStore_RequestWithItsInputs_RunsOnTheCallersThread()
    {
        var runner = new GatedRunner();
        using var batcher = FeatureBatcher(runner);

        await AssertRunsOnTheCallersThread(batcher, runner, 6.5f);
    }

    [Fact]
    public async Task WithAFeatureStore_EntityRequest_NeverInline_ALoopLooksItUp()
    {
        var runner = new GatedRunner();
        using var batcher = FeatureBatcher(runner);

        Assert.Equal(4f, Value(await Entity(batcher, 4).WaitAsync(TimeSpan.FromSeconds(30))));

        Assert.Equal(0, batcher.InlineRuns);
        Assert.Equal(1, batcher.Executions);
    }

    [Fact]
    public async Task WithAFeatureStore_InlineRunHoldsTheInstance_OthersQueue_NeverTwoRunsAtOnce_NothingLeaks()
    {
        var runner = new GatedRunner();
        runner.Gate.Reset();
        using var batcher = FeatureBatcher(runner);

        var first = Task.Run(() => batcher.EnqueueAsync(Row(1), Outputs, long.MaxValue, CancellationToken.None));
        Assert.True(await runner.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the first request never ran");
        var second = batcher.EnqueueAsync(Row(2), Outputs, long.MaxValue, CancellationToken.None);
        var third = Entity(batcher, 3);

        Assert.False(second.IsCompleted, "the one instance is busy: the second request must wait");
        runner.Gate.Set();
        Assert.Equal(1f, Value(await first));
        Assert.Equal(2f, Value(await second.WaitAsync(TimeSpan.FromSeconds(30))));
        Assert.Equal(3f, Value(await third.WaitAsync(TimeSpan.FromSeconds(30))));
        Assert.Equal(1, runner.MaxRunning);
        Assert.Equal(1, batcher.InlineRuns);

        // The inline run gave its instance back: more requests, one at a time, all run at once on the caller's thread.
        for (var n = 10; n < 30; n++)
        {
            var answer = batcher.EnqueueAsync(Row(n), Outputs, long.MaxValue, CancellationToken.None);
            Assert.True(answer.IsCompletedSuccessfully, $"request {n} did not run inline: an instance leaked");
            Assert.Equal(n, Value(await answer));
        }

        Assert.Equal(21, batcher.InlineRuns);
        Assert.Equal(1, runner.MaxRunning);
    }
}
