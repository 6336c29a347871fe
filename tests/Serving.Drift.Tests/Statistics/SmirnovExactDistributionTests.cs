using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Statistics;

public sealed class SmirnovExactDistributionTests
{
    [Fact]
    public void Survival_OneByOne_EveryPathReachesDOne()
    {
        // n = m = 1: the first value always gives |1/1 − 0/1| = 1, so P(D ≥ 1) = 1.
        Assert.Equal(1.0, SmirnovExactDistribution.Survival(1, 1, 1), 1e-15);
    }

    [Fact]
    public void Survival_TwoByTwoHalf_IsOne()
    {
        // n = m = 2: the first value always gives D ≥ ½ (numerator 2 of n·m = 4).
        // D = 1 needs "xx yy" or "yy xx": 2 of C(4, 2) = 6 orderings.
        Assert.Equal(1.0, SmirnovExactDistribution.Survival(2, 2, 2), 1e-15);
        Assert.Equal(2.0 / 6.0, SmirnovExactDistribution.Survival(2, 2, 4), 1e-15);
    }

    [Fact]
    public void Survival_SwappedSampleSizes_IsSymmetric()
    {
        Assert.Equal(SmirnovExactDistribution.Survival(7, 13, 40), SmirnovExactDistribution.Survival(13, 7, 40), 1e-15);
    }

    [Fact]
    public void Survival_ZeroStatistic_IsOne()
    {
        Assert.Equal(1.0, SmirnovExactDistribution.Survival(5, 8, 0));
    }
}
