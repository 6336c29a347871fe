using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Tests.Generator;

public sealed class CpuSampleTests
{
    [Fact]
    public void ParseProcStatBusy_CpuLine_SumsUserNiceSystemIrqSoftirqSteal()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice
        var busy = CpuSample.ParseProcStatBusy("cpu  100 20 30 5000 40 5 6 7 0 0", 100);

        Assert.Equal((100 + 20 + 30 + 5 + 6 + 7) / 100.0, busy, 9);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cpu0 1 2 3 4 5 6 7 8")]
    [InlineData("intr 12345")]
    public void ParseProcStatBusy_NotTheTotalLine_IsMinusOne(string line)
    {
        Assert.Equal(-1, CpuSample.ParseProcStatBusy(line, 100));
    }

    [Fact]
    public void Since_TwoSamples_GivesCoresOverTheWallTime()
    {
        var start = new CpuSample(0, 10, 1, 100);
        var end = new CpuSample(Timestamps.FromSeconds(2), 13, 2, 104);

        var usage = end.Since(start);

        Assert.Equal(1.5, usage.ProcessCores, 6);
        Assert.Equal(0.5, usage.ChildCores, 6);
        Assert.Equal(2.0, usage.MachineCores, 6);
        Assert.Equal(0.0, usage.OtherCores, 6);
    }

    [Fact]
    public void Since_MachineUnknown_OtherCoresIsNaN()
    {
        var usage = new CpuSample(Timestamps.FromSeconds(1), 1, 0, -1).Since(new CpuSample(0, 0, 0, -1));

        Assert.True(double.IsNaN(usage.OtherCores));
    }
}
