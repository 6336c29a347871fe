using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>The rounds' order and what they cost: pure functions, no server.</summary>
public sealed class GatewayBenchRoundsTests
{
    [Fact]
    public void CellOrder_TargetsInTurn_ReversedInEveryEvenRound()
    {
        var order = Enumerable.Range(1, 4).Select(round => GatewayBenchRunner.CellOrder(round, ProxyTargets.All).Select(t => t.ToName())).ToArray();

        Assert.Equal(["direct", "gateway", "nginx"], order[0]);
        Assert.Equal(["nginx", "gateway", "direct"], order[1]);
        Assert.Equal(["direct", "gateway", "nginx"], order[2]);
        Assert.Equal(["nginx", "gateway", "direct"], order[3]);
    }

    [Fact]
    public void CellOrder_TheTargetsGiven_ReversedAsGiven()
    {
        IReadOnlyList<ProxyTarget> given = [ProxyTarget.Gateway, ProxyTarget.Direct];

        Assert.Equal(given, GatewayBenchRunner.CellOrder(1, given));
        Assert.Equal([ProxyTarget.Direct, ProxyTarget.Gateway], GatewayBenchRunner.CellOrder(2, given));
    }

    [Fact]
    public void Plan_CellsAndEstimate_CountEveryRound()
    {
        var one = new GatewayBenchOptions { Rounds = 1 };
        var three = one with { Rounds = 3 };

        Assert.Equal(12, GatewayBenchPlan.Cells(one));
        Assert.Equal(36, GatewayBenchPlan.Cells(three));

        // Each round adds its 12 cells of warm-up + window + overhead; the start and target warm-ups are paid once
        // (the estimate is rounded up to the second).
        var added = 2 * 12 * (one.Warmup.TotalSeconds + one.Duration.TotalSeconds + GatewayBenchPlan.RunOverheadSeconds);
        Assert.InRange((GatewayBenchPlan.Estimate(three) - GatewayBenchPlan.Estimate(one)).TotalSeconds, added - 1, added + 1);
    }
}
