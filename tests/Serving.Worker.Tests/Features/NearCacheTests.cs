using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

public sealed class NearCacheTests
{
    [Fact]
    public void PastItsSize_NeverMoreThanTheSizeHeld_TheNewestKept()
    {
        var cache = new NearCache(10, TimeSpan.FromMinutes(10), TimeProvider.System);
        for (var i = 0; i < 1_000; i++)
        {
            cache.Set($"k{i}", [i]);
            var held = Enumerable.Range(0, i + 1).Count(k => cache.TryGet($"k{k}", out _));
            Assert.True(held <= 10, $"{held} entries held after {i + 1} sets into a cache of 10");
        }

        // The last one set is always there.
        Assert.True(cache.TryGet("k999", out var values));
        Assert.Equal([999.0], Assert.IsType<double[]>(values));
    }

    [Fact]
    public void KnownMissingEntity_IsCachedAsMissing()
    {
        var cache = new NearCache(10, TimeSpan.FromMinutes(10), TimeProvider.System);
        cache.Set("gone", null);
        Assert.True(cache.TryGet("gone", out var values));
        Assert.Null(values);
    }

    [Fact]
    public void TtlZero_CachesNothing()
    {
        var cache = new NearCache(10, TimeSpan.Zero, TimeProvider.System);
        cache.Set("k", [1]);
        Assert.False(cache.TryGet("k", out _));
    }
}
