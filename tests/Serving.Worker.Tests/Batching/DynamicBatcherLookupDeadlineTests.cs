using System.Diagnostics;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Metrics;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Batching;

/// <summary>
/// A batch waiting on a stalled feature store answers its requests DEADLINE_EXCEEDED at their deadline: before, they waited
/// out the store's Timeout (up to a minute) and then ran, answered long after the caller's deadline.
/// </summary>
public sealed class DynamicBatcherLookupDeadlineTests
{
    private static readonly string[] Outputs = ["y"];

    [Fact]
    public async Task StalledStore_RequestExpiresAtItsDeadline_NotAfterTheStoreTimeout_BreakerStillClosed()
    {
        const string Model = "lookup-deadline-test";
        var store = new HeldFeatureStore();
        var metrics = new BatchingMetrics.Series(Model, "1");
        using var batcher = NumberFeatures.Batcher(Model, store, metrics); // lookup Timeout: 30 s
        var features = new FeatureMetrics.Series(Model, "1", "memory");

        // Long enough for a loop to take the request into a batch on a loaded machine (expired in the queue, it would
        // never reach the store), far shorter than the lookup's Timeout.
        var deadline = Stopwatch.GetTimestamp() + (3 * Stopwatch.Frequency);
        var call = batcher.EnqueueAsync(new InferTensor[1], Outputs, deadline, CancellationToken.None, NumberFeatures.Item(3));
        Assert.True(await store.Fetching.WaitAsync(TimeSpan.FromSeconds(20)), "no batch asked the store (did the request expire in the queue?)");

        var answered = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(answered == call, "no answer 20 s after a 3 s deadline: the batch still waits on the stalled store (its Timeout is 30 s)");
        var error = await Assert.ThrowsAsync<InferenceException>(() => call);
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, error.Code);
        Assert.Equal(1, metrics.Expired.Value);

        // The callers' deadline ended the wait: one failure for the breaker (of 5 that open it), which stays closed.
        Assert.Equal(1, features.Timeouts.Value);
        store.Open.SetResult();
        var next = await batcher.EnqueueAsync(new InferTensor[1], Outputs, long.MaxValue, CancellationToken.None, NumberFeatures.Item(7)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(7f, BitConverter.ToSingle(next.Outputs[0].Data.Span));
        Assert.Equal(0, features.BreakerOpen.Value);
    }
}
