using Serving.LoadTests.Bench;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Bench;

public sealed class NoisyCellPolicyTests
{
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.25, false)]
    [InlineData(0.26, true)]
    [InlineData(1.0, true)]
    public void IsNoisy_OthersAboveTheThreshold_IsTrue(double others, bool noisy)
    {
        Assert.Equal(noisy, NoisyCellPolicy.IsNoisy(Cell(others), 0.25));
    }

    [Fact]
    public void IsNoisy_UnknownOthersOrNoReport_IsFalse()
    {
        Assert.False(NoisyCellPolicy.IsNoisy(Cell(null), 0.25));
        Assert.False(NoisyCellPolicy.IsNoisy(new BenchCell(BenchArm.Echo, "closed", 64, null, null, "boom", null), 0.25));
    }

    [Fact]
    public void Quieter_TwoRuns_KeepsTheOneWithLessCpuTakenByOthers()
    {
        var noisy = Cell(0.9);
        var quiet = Cell(0.1);

        Assert.Same(quiet, NoisyCellPolicy.Quieter(noisy, quiet));
        Assert.Same(quiet, NoisyCellPolicy.Quieter(quiet, noisy));
    }

    [Fact]
    public void Quieter_OneDidNotRun_KeepsTheOneThatRan()
    {
        var ran = Cell(0.9);
        var failed = new BenchCell(BenchArm.Echo, "closed", 64, null, null, "boom", null);

        Assert.Same(ran, NoisyCellPolicy.Quieter(failed, ran));
        Assert.Same(ran, NoisyCellPolicy.Quieter(ran, failed));
    }

    private static BenchCell Cell(double? others)
    {
        var cell = Reports.Closed(BenchArm.Echo, 64, 1_000);
        return cell with { Report = cell.Report! with { OtherCpuCores = others } };
    }
}
