using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Statistics;

public sealed class BonferroniTests
{
    [Theory]
    [InlineData(0.0016, 30, true)]   // 0.05 / 30 = 0.001667
    [InlineData(0.0017, 30, false)]
    [InlineData(0.04, 1, true)]
    [InlineData(0.04, 0, true)]      // no tests: the level stays α
    [InlineData(0.05, 1, false)]     // strictly below
    public void IsSignificant_AlphaPointZeroFive_ComparesWithAlphaOverK(double p, int tests, bool expected)
    {
        Assert.Equal(expected, Bonferroni.IsSignificant(p, 0.05, tests));
    }
}
