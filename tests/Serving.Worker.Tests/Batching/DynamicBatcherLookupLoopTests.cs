using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Features;
using Serving.Worker.Metrics;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Batching;

/// <summary>
/// A model with a feature store has several batch loops per instance; an arrival wakes one of them, not all, and
/// unloading still wakes every loop so the batcher ends. Its batches' compute time leaves the lookup out.
/// </summary>
public sealed class DynamicBatcherLookupLoopTests
{
    private static readonly string[] Outputs = ["y"];

    private static DynamicBatcher Batcher(IFeatureStore? store = null, BatchingMetrics.Series? metrics = null) =>
        NumberFeatures.Batcher("wake-test", store ?? new NumberFeatures(), metrics ?? new BatchingMetrics.Series("wake-test", "1"));

    private static Task<BatchResult> EnqueueEntity(DynamicBatcher batcher, int n) => NumberFeatures.Enqueue(batcher, n, Outputs);

    private static float Value(BatchResult result) => BitConverter.ToSingle(result.Outputs[0].Data.Span);

    private static async Task AllLoopsAsleep(DynamicBatcher batcher)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (batcher.SleepingLoops < DynamicBatcher.LookupsPerInstance)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {batcher.SleepingLoops} loops went back to sleep");
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task OneArrivalAtATime_WakesOneOfTheIdleLoops_NotEveryOne()
    {
        using var batcher = Batcher();
        Assert.True(DynamicBatcher.LookupsPerInstance >= 2, "the test needs several loops per instance");

        const int requests = 40;
        for (var n = 1; n <= requests; n++)
        {
            await AllLoopsAsleep(batcher);
            Assert.Equal(n, Value(await EnqueueEntity(batcher, n)));
        }

        // Every loop slept at each arrival: waking them all would be four wakes per request.
        Assert.Equal(requests, batcher.LoopWakes);
        Assert.Equal(requests, batcher.Executions);
    }

    [Fact]
    public async Task ComputeHistogram_LeavesTheFeatureLookupOut()
    {
        var store = new HeldFeatureStore();
        var metrics = new BatchingMetrics.Series("compute-lookup-test", "1");
        using var batcher = Batcher(store, metrics);

        var answer = EnqueueEntity(batcher, 9);
        Assert.True(await store.Fetching.WaitAsync(TimeSpan.FromSeconds(30)), "the lookup never started");
        var held = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(500);
        held.Stop();
        store.Open.SetResult();
        Assert.Equal(9f, Value(await answer));

        // The batch spent at least `held` in its lookup; the histogram holds the echo run and slicing only.
        Assert.Equal(1, metrics.ComputeDuration.Count);
        Assert.True(metrics.ComputeDuration.Sum < held.Elapsed.TotalSeconds, $"compute {metrics.ComputeDuration.Sum:F3} s includes the {held.Elapsed.TotalSeconds:F3} s lookup");
    }

    [Fact]
    public async Task ManyArrivalsAtOnce_AllAnswered()
    {
        using var batcher = Batcher();

        var answers = Enumerable.Range(1, 200).Select(n => Task.Run(() => EnqueueEntity(batcher, n))).ToArray();
        var values = await Task.WhenAll(answers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(1, 200).Select(n => (float)n), values.Select(Value));
    }

    [Fact]
    public async Task Dispose_WakesEverySleepingLoop_LaterRequestsRefused()
    {
        var batcher = Batcher();
        Assert.Equal(3f, Value(await EnqueueEntity(batcher, 3)));

        batcher.Dispose();

        var e = await Assert.ThrowsAsync<Serving.Protocol.Errors.InferenceException>(() => EnqueueEntity(batcher, 4));
        Assert.Equal(Serving.Protocol.Errors.InferenceErrorCode.Unavailable, e.Code);
        await batcher.Stopped.WaitAsync(TimeSpan.FromSeconds(30)); // throws TimeoutException if a loop slept on
    }
}
