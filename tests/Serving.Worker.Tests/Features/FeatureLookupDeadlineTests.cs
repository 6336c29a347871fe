using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Features;

/// <summary>A lookup waits on the store no longer than its callers' deadline, and a store that keeps missing them opens the breaker.</summary>
public sealed class FeatureLookupDeadlineTests
{
    [Fact]
    public async Task StalledStore_EachWaitEndsAtTheDeadline_ThreeInARowOpenTheBreaker_ThenFailOpenAnswersAtOnce()
    {
        var store = new HeldFeatureStore();
        var lookup = new FeatureLookup(
            "lookup-deadline-breaker",
            1,
            new FeaturesConfig { EntityInput = "id", TargetInput = "x", KeyPattern = "k:{id}", Fields = ["f"], NearCacheSize = 1, NearCacheTtlMs = 0 },
            new TensorSignature("x", DataType.FP32, [-1, 1]),
            0,
            store,
            new CircuitBreaker(3, TimeSpan.FromMinutes(10), TimeProvider.System),
            TimeSpan.FromSeconds(30), // far past any wait this test allows
            NullLogger.Instance);

        for (var i = 0; i < 3; i++)
        {
            var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20); // 50 ms
            var fill = lookup.FillAsync([NumberFeatures.Item(i)], deadline);
            var answered = await Task.WhenAny(fill, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(answered == fill, $"call {i + 1}: no answer 20 s after a 50 ms deadline (the lookup waits out its 30 s Timeout)");
            Assert.False(await fill, $"call {i + 1}: the deadline passed before the store answered");
        }

        // Three calls in a row got nothing from the store before their deadline: the breaker answers the next one at
        // once, with fail_open's defaults, however long its deadline.
        var item = NumberFeatures.Item(9);
        var open = lookup.FillAsync([item]);
        Assert.True(await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(20))) == open, "the breaker did not open: the call waits on the stalled store");
        Assert.True(await open);
        using var filled = item.Filled;
        Assert.True(item.Request.StoreUnavailable);
        Assert.Equal(3, store.Fetching.CurrentCount); // the fourth call never reached the store
    }
}
