using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Features;

/// <summary>
/// A lookup waits on the store no longer than its callers' deadline; the breaker counts how the store call itself ends
/// (within Timeout), not the callers' deadline, so callers with tight deadlines can't open it for every model.
/// </summary>
public sealed class FeatureLookupDeadlineTests
{
    [Fact]
    public async Task StalledStore_EachWaitEndsAtTheDeadline_TheBreakerOpensWhenTheCallsReachTheStoresTimeout_ThenFailOpenAnswersAtOnce()
    {
        var store = new HeldFeatureStore();
        var breaker = new CircuitBreaker(3, TimeSpan.FromMinutes(10), TimeProvider.System);
        var lookup = new FeatureLookup(
            "lookup-deadline-breaker",
            1,
            new FeaturesConfig { EntityInput = "id", TargetInput = "x", KeyPattern = "k:{id}", Fields = ["f"], NearCacheSize = 1, NearCacheTtlMs = 0 },
            new TensorSignature("x", DataType.FP32, [-1, 1]),
            0,
            store,
            breaker,
            TimeSpan.FromSeconds(2),
            NullLogger.Instance);

        for (var i = 0; i < 3; i++)
        {
            var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20); // 50 ms
            var fill = lookup.FillAsync([NumberFeatures.Item(i)], deadline);
            var answered = await Task.WhenAny(fill, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(answered == fill, $"call {i + 1}: no answer 20 s after a 50 ms deadline (the lookup waits out its Timeout)");
            Assert.False(await fill, $"call {i + 1}: the deadline passed before the store answered");
        }

        // The callers' deadlines say nothing of the store yet: each call goes on, and the breaker waits for its end.
        Assert.Equal(CircuitBreaker.State.Closed, breaker.Current);

        // The calls reach the store's Timeout without an answer: that opens the breaker, which answers the next call at
        // once, with fail_open's defaults, however long its deadline.
        var until = DateTime.UtcNow.AddSeconds(20);
        while (breaker.Current != CircuitBreaker.State.Open)
        {
            Assert.True(DateTime.UtcNow < until, $"the breaker is {breaker.Current} 20 s after the calls the deadlines cut short began (Timeout 2 s)");
            await Task.Delay(50);
        }

        var item = NumberFeatures.Item(9);
        var open = lookup.FillAsync([item]);
        Assert.True(await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(20))) == open, "the breaker did not answer: the call waits on the stalled store");
        Assert.True(await open);
        using var filled = item.Filled;
        Assert.True(item.Request.StoreUnavailable);
        Assert.Equal(3, store.Fetching.CurrentCount); // the fourth call never reached the store
    }
}
