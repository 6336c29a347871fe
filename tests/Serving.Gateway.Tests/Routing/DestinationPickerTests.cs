using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;

namespace Serving.Gateway.Tests.Routing;

public sealed class DestinationPickerTests
{
    [Fact]
    public void Pick_SkipsUnhealthyAndExcluded()
    {
        var healthy = Routes.Worker(9000);
        var sick = Routes.Worker(9010, healthy: false);
        var failed = Routes.Worker(9020);

        for (var i = 0; i < 100; i++)
        {
            Assert.Same(healthy, DestinationPicker.Pick([sick, healthy, failed], excluded: failed));
        }
    }

    [Fact]
    public void Pick_NoneHealthy_Null()
    {
        Assert.Null(DestinationPicker.Pick([Routes.Worker(9000, healthy: false)]));
        Assert.Null(DestinationPicker.Pick([]));
    }

    [Fact]
    public void Pick_PassiveExclusion_LeavesWorkerOutForThePeriod()
    {
        var a = Routes.Worker(9000);
        var b = Routes.Worker(9010);
        a.ExcludeFor(TimeSpan.FromMinutes(1));

        Assert.All(Enumerable.Range(0, 50), _ => Assert.Same(b, DestinationPicker.Pick([a, b])));
    }

    [Fact]
    public void Pick_PrefersFewerInFlight()
    {
        var busy = Routes.Worker(9000);
        var idle = Routes.Worker(9010);
        for (var i = 0; i < 10; i++)
        {
            busy.Enter();
        }

        // With two workers, both are always the two choices: the idle one wins every time.
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Same(idle, DestinationPicker.Pick([busy, idle])));
    }

    [Fact]
    public void Pick_SpreadsOverEqualWorkers()
    {
        var workers = Enumerable.Range(0, 4).Select(i => Routes.Worker(9000 + (10 * i))).ToArray();
        var counts = workers.ToDictionary(w => w, _ => 0);
        for (var i = 0; i < 4000; i++)
        {
            counts[DestinationPicker.Pick(workers)!]++;
        }

        Assert.All(counts.Values, n => Assert.InRange(n, 700, 1300));
    }
}
