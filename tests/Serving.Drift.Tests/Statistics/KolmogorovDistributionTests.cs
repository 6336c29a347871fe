using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Statistics;

public sealed class KolmogorovDistributionTests
{
    // Expected values: scipy 1.10.1 stats.kstwobign.sf(λ), which is Q_KS(λ).
    [Theory]
    [InlineData(0.3, 0.9999906941986655)]
    [InlineData(0.5, 0.9639452436648751)]
    [InlineData(1.0, 0.26999967167735456)]
    [InlineData(1.18, 0.1234538094297657)]
    [InlineData(1.5, 0.022217962616525127)]
    [InlineData(2.0, 0.0006709252557796953)]
    public void Survival_KnownLambda_MatchesScipyKstwobign(double lambda, double expected)
    {
        Assert.Equal(expected, KolmogorovDistribution.Survival(lambda), 1e-13);
    }

    [Fact]
    public void Survival_LargeLambda_KeepsRelativePrecision()
    {
        // scipy: kstwobign.sf(3.0) = 3.045995948942526e-08
        Assert.Equal(1.0, KolmogorovDistribution.Survival(3.0) / 3.045995948942526e-08, 1e-12);
    }

    [Fact]
    public void Survival_ZeroLambda_IsOne()
    {
        Assert.Equal(1.0, KolmogorovDistribution.Survival(0));
    }
}
