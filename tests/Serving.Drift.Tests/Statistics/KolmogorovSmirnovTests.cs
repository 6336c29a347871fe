using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Statistics;

public sealed class KolmogorovSmirnovTests
{
    [Fact]
    public void Test_DisjointSamples_DIsOneAndExactPIsTwoOverTenChooseFive()
    {
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);

        // Only the two orderings "all x first" and "all y first" reach D = 1: p = 2 / C(10, 5) = 2/252.
        Assert.Equal(1.0, result.Statistic);
        Assert.True(result.IsExact);
        Assert.Equal(2.0 / 252.0, result.PValue, 1e-15);
        Assert.Equal(0.00793650793650793650, result.PValue, 1e-15);
    }

    [Fact]
    public void Test_IdenticalSamples_DIsZeroAndPIsOne()
    {
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test([1, 2, 3, 4], [1, 2, 3, 4]);

        Assert.Equal(0.0, result.Statistic);
        Assert.Equal(1.0, result.PValue);
    }

    [Fact]
    public void Statistic_TieAcrossSamples_StepsBothEcdfsPastTheTie()
    {
        // x = [0, 1], y = [1, 2]. After 0: F₁ = ½, F₂ = 0. After 1 (both samples): F₁ = 1, F₂ = ½.
        // So D = ½. Stepping x's 1 before y's 1 would wrongly see F₁ = 1, F₂ = 0 and report D = 1.
        Assert.Equal(0.5, KolmogorovSmirnov.Statistic([0, 1], [1, 2]));
    }

    [Fact]
    public void Statistic_SameDistributionWithRepeats_IsZero()
    {
        // Both ECDFs are ½ after 1 and 1 after 2; splitting the tie on 1 would see ¼ or ½ instead.
        Assert.Equal(0.0, KolmogorovSmirnov.Statistic([1, 1, 2, 2], [1, 2]));
    }

    [Fact]
    public void Test_TiedSamples_MatchesScipyExact()
    {
        // scipy 1.10.1: stats.ks_2samp([1,2,2,3,3,3,4], [2,3,3,4,4,5,5,6], method='exact')
        //   → statistic 0.48214285714285715 (= 27/56), pvalue 0.2522144522144522
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test([1, 2, 2, 3, 3, 3, 4], [2, 3, 3, 4, 4, 5, 5, 6]);

        Assert.Equal(27.0 / 56.0, result.Statistic, 1e-15);
        Assert.True(result.IsExact);
        Assert.Equal(0.2522144522144522, result.PValue, 1e-12);
    }

    [Fact]
    public void Test_UnequalSizes_MatchesScipyExact()
    {
        // Drawn once with numpy.random.default_rng(42): x ~ N(0, 1) (12), y ~ N(0.8, 1) (15), rounded to
        // 2 decimals (0.75 occurs in both). scipy 1.10.1 ks_2samp(x, y, method='exact')
        //   → statistic 0.4666666666666667 (= 7/15), pvalue 0.07834531571239069
        double[] x = [0.3, -1.04, 0.75, 0.94, -1.95, -1.3, 0.13, -0.32, -0.02, -0.85, 0.88, 0.78];
        double[] y = [0.87, 1.93, 1.27, -0.06, 1.17, -0.16, 1.68, 0.75, 0.62, 0.12, 2.02, 0.65, 0.37, 0.45, 1.33];
        Array.Sort(x);
        Array.Sort(y);

        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test(x, y);

        Assert.Equal(7.0 / 15.0, result.Statistic, 1e-15);
        Assert.True(result.IsExact);
        Assert.Equal(0.07834531571239069, result.PValue, 1e-12);
    }

    [Fact]
    public void Test_ShiftedGridsOfForty_MatchesScipyExact()
    {
        // scipy 1.10.1: ks_2samp(arange(40), arange(10, 50), method='exact') → 0.25, 0.16497269950224194
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test(Range(0, 40), Range(10, 40));

        Assert.Equal(0.25, result.Statistic, 1e-15);
        Assert.True(result.IsExact);
        Assert.Equal(0.16497269950224194, result.PValue, 1e-12);
    }

    [Fact]
    public void Test_TinyExactPValue_KeepsRelativePrecision()
    {
        // Disjoint samples of 50: p = 2 / C(100, 50) ≈ 1.98e-29, far below what 1 − inside/total could resolve.
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test(Range(0, 50), Range(100, 50));

        double expected = 2.0 / 100891344545564193334812497256.0;
        Assert.True(result.IsExact);
        Assert.Equal(1.0, result.PValue / expected, 1e-9);
    }

    [Fact]
    public void Test_LargeSamples_UsesAsymptoticWithStephensCorrection()
    {
        // x = 0..199, y = 30..229: D = 30/200 = 0.15, nₑ = 100, λ = (10 + 0.12 + 0.011)·0.15 = 1.51965.
        // scipy 1.10.1: stats.kstwobign.sf(1.51965) = 0.019731754749869664
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test(Range(0, 200), Range(30, 200));

        Assert.Equal(0.15, result.Statistic, 1e-15);
        Assert.False(result.IsExact);
        Assert.Equal(0.019731754749869664, result.PValue, 1e-12);
    }

    [Fact]
    public void Test_LargeSamples_WithinTwoPercentOfScipyAsymp()
    {
        // scipy 1.10.1: ks_2samp(arange(200), arange(30, 230), method='asymp') → 0.019839242125645768.
        // SciPy's "asymp" is kstwo.sf(D, round(nₑ)) (finite-n one-sample law), not Q_KS, so the two
        // agree only approximately: Stephens' λ is 0.5% off here, plain √nₑ·D (0.02222) would be 12% off.
        double p = KolmogorovSmirnov.Test(Range(0, 200), Range(30, 200)).PValue;

        Assert.InRange(p / 0.019839242125645768, 0.98, 1.02);
    }

    [Fact]
    public void Test_EmptySample_ReturnsNaN()
    {
        KolmogorovSmirnovResult result = KolmogorovSmirnov.Test([], [1.0]);

        Assert.True(double.IsNaN(result.Statistic));
        Assert.True(double.IsNaN(result.PValue));
    }

    private static double[] Range(int start, int count) => Enumerable.Range(start, count).Select(i => (double)i).ToArray();
}
