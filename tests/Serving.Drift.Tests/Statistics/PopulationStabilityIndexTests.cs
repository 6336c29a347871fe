using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Statistics;

public sealed class PopulationStabilityIndexTests
{
    private static readonly double[] QuarterEdges = [0, 1, 2, 3, 4];
    private static readonly double[] QuarterShares = [0.25, 0.25, 0.25, 0.25];

    [Fact]
    public void Compute_WorkedExample_MatchesHandComputation()
    {
        // Bins [0,1], (1,2], (2,3], (3,4]; −1 goes to the first bin and 10 to the last.
        // Counts 4 (−1, 0, 0.5, 1), 2 (1.5, 2), 2 (2.5, 3), 2 (3.5, 10) → c = 0.4, 0.2, 0.2, 0.2; r = 0.25 each.
        // PSI = 0.15·ln(1.6) + 3·(−0.05)·ln(0.8) = 0.0705005443868604 + 0.0334715326971315 = 0.1039720770839918
        double[] current = [-1, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 10];

        double psi = PopulationStabilityIndex.Compute(QuarterEdges, QuarterShares, current);

        Assert.Equal(0.1039720770839918, psi, 1e-13);
    }

    [Fact]
    public void Compute_EmptyCurrentBin_UsesEpsilon()
    {
        // c = (1, 0 → 1e-4), r = (0.5, 0.5): PSI = 0.5·ln 2 + (1e-4 − 0.5)·ln(1e-4/0.5) = 4.60431846666895
        double psi = PopulationStabilityIndex.Compute([0, 1, 2], [0.5, 0.5], [0.2, 0.7, 1.0]);

        Assert.Equal(4.60431846666895, psi, 1e-12);
    }

    [Fact]
    public void Compute_EmptyReferenceBin_UsesEpsilon()
    {
        // r = (1, 0 → 1e-4), c = (0.5, 0.5): PSI = −0.5·ln 0.5 + (0.5 − 1e-4)·ln(0.5/1e-4) = 4.60431846666895
        double psi = PopulationStabilityIndex.Compute([0, 1, 2], [1.0, 0.0], [0.5, 1.5]);

        Assert.Equal(4.60431846666895, psi, 1e-12);
    }

    [Fact]
    public void Compute_CustomEpsilon_IsUsed()
    {
        // Same as above with ε = 1e-3: −0.5·ln 0.5 + (0.5 − 1e-3)·ln(500) = 3.4477807...
        double expected = (0.5 - 1.0) * Math.Log(0.5) + (0.5 - 1e-3) * Math.Log(0.5 / 1e-3);

        Assert.Equal(expected, PopulationStabilityIndex.Compute([0, 1, 2], [1.0, 0.0], [0.5, 1.5], 1e-3), 1e-12);
    }

    [Fact]
    public void Compute_ConstantReference_ValuesAwayFromItLandInTheirOwnBins()
    {
        // A constant reference has edges [3, 3] and one bin; it is scored on (−∞, 3), [3, 3], (3, ∞) with r = (ε, 1, ε).
        // c = (0.25 (−1), 0.5 (3, 3), 0.25 (7)): PSI = 2·(0.25 − 1e-4)·ln(0.25/1e-4) + (0.5 − 1)·ln(0.5) = 4.257031786505947
        double psi = PopulationStabilityIndex.Compute([3, 3], [1.0], [3, 3, 7, -1]);

        Assert.Equal(4.257031786505947, psi, 1e-12);
        Assert.Equal(PsiBand.Major, PopulationStabilityIndex.Classify(psi));
    }

    [Fact]
    public void Compute_ConstantReference_OneValueInTenAbove_IsMajor()
    {
        // c = (0 → ε, 0.9, 0.1), r = (ε, 1, ε): PSI = 0 + (0.9 − 1)·ln(0.9) + (0.1 − 1e-4)·ln(0.1/1e-4) = 0.7006208039360982
        double psi = PopulationStabilityIndex.Compute([3, 3], [1.0], [3, 3, 3, 3, 3, 3, 3, 3, 3, 4]);

        Assert.Equal(0.7006208039360982, psi, 1e-12);
    }

    [Fact]
    public void Compute_ConstantReference_ValuesEqualToIt_IsZero()
    {
        // c = (ε, 1, ε) = r: every term is 0; NaN is not counted.
        Assert.Equal(0.0, PopulationStabilityIndex.Compute([3, 3], [1.0], [3, 3, 3, double.NaN]));
    }

    [Fact]
    public void Compute_NoValues_IsNaN()
    {
        Assert.True(double.IsNaN(PopulationStabilityIndex.Compute(QuarterEdges, QuarterShares, [double.NaN])));
    }

    [Fact]
    public void Compute_MismatchedBins_Throws()
    {
        Assert.Throws<ArgumentException>(() => PopulationStabilityIndex.Compute([0, 1, 2], [1.0], [0.5]));
    }

    [Theory]
    [InlineData(-5.0, 0)]  // below the first edge
    [InlineData(0.0, 0)]   // first bin is closed on the left
    [InlineData(1.0, 0)]   // … and on the right
    [InlineData(1.0000001, 1)]
    [InlineData(2.0, 1)]   // (1, 2] includes 2
    [InlineData(3.5, 3)]
    [InlineData(4.0, 3)]
    [InlineData(99.0, 3)]  // above the last edge
    public void BinOf_ValueAtOrAroundEdges_FollowsSchemaBins(double value, int expectedBin)
    {
        Assert.Equal(expectedBin, PopulationStabilityIndex.BinOf(QuarterEdges, value));
    }

    [Theory]
    [InlineData(0.0, PsiBand.None)]
    [InlineData(0.0999, PsiBand.None)]
    [InlineData(0.1, PsiBand.Moderate)]
    [InlineData(0.25, PsiBand.Moderate)]
    [InlineData(0.2500001, PsiBand.Major)]
    [InlineData(3.0, PsiBand.Major)]
    [InlineData(double.NaN, PsiBand.None)]
    public void Classify_AroundBandBoundaries_ReturnsConventionalBand(double psi, PsiBand expected)
    {
        Assert.Equal(expected, PopulationStabilityIndex.Classify(psi));
    }

    [Theory]
    [InlineData(0.049, PsiBand.None)]
    [InlineData(0.05, PsiBand.Moderate)]
    [InlineData(0.2, PsiBand.Moderate)]
    [InlineData(0.2000001, PsiBand.Major)]
    public void Classify_ConfiguredEdges_MoveTheBands(double psi, PsiBand expected)
    {
        Assert.Equal(expected, PopulationStabilityIndex.Classify(psi, moderate: 0.05, major: 0.2));
    }
}
