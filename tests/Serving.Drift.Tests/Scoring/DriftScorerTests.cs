using Serving.Drift.Profiles;
using Serving.Drift.Scoring;
using Serving.Drift.Statistics;
using Serving.Drift.Tests.TestSupport;
using Serving.Drift.Windows;

namespace Serving.Drift.Tests.Scoring;

public sealed class DriftScorerTests
{
    private const int WindowRows = 1000;
    private const int Seed = 20250101;

    [Fact]
    public void Score_WindowResampledFromReference_NothingDrifts()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        DriftWindowSnapshot window = SampledRows.FromReference(profile, WindowRows, Seed).ToSnapshot();

        DriftReport report = new DriftScorer().Score(profile, window);

        Assert.True(report.HasEnoughData);
        Assert.Equal(WindowRows, report.WindowSize);
        Assert.Empty(report.Features.Where(f => f.IsDrifting).Select(f => f.Name));
        Assert.False(report.Prediction.IsDrifting);
        Assert.False(report.IsDrifting);
        Assert.All(report.Features, f => Assert.True(f.Psi < 0.1, $"{f.Name}: PSI {f.Psi}"));
    }

    [Fact]
    public void Score_OneFeatureShiftedHalfStd_OnlyThatFeatureDrifts()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        var rows = SampledRows.FromReference(profile, WindowRows, Seed);
        int shifted = rows.IndexOf(profile, "mean_texture");
        double std = ((NumericFeatureProfile)profile.Features[shifted]).Std;
        Shift(rows.Features[shifted], 0.5 * std);

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.Equal(["mean_texture"], report.Features.Where(f => f.IsDrifting).Select(f => f.Name));
        FeatureDriftResult result = report.Features[shifted];
        Assert.True(result.Signals.HasFlag(DriftSignals.KolmogorovSmirnov), $"p = {result.KsPValue}");
        Assert.Equal(0.05 / 30, result.KsSignificanceLevel!.Value, 1e-15);
        Assert.Equal(1, report.DriftingFeatureCount);
        Assert.Equal(1.0 / 30, report.DriftingFeatureShare, 1e-15);
        Assert.False(report.IsDrifting);
    }

    [Fact]
    public void Score_HalfTheFeaturesShifted_VersionDrifts()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        var rows = SampledRows.FromReference(profile, WindowRows, Seed);
        for (int i = 0; i < 15; i++)
        {
            Shift(rows.Features[i], ((NumericFeatureProfile)profile.Features[i]).Std);
        }

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.Equal(15, report.DriftingFeatureCount);
        Assert.Equal(0.5, report.DriftingFeatureShare);
        Assert.True(report.IsDrifting);
    }

    [Fact]
    public void Score_PredictionShifted_VersionDrifts()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        var rows = SampledRows.FromReference(profile, WindowRows, Seed);
        Array.Fill(rows.Prediction, 0.5);

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.Equal(0, report.DriftingFeatureCount);
        Assert.True(report.Prediction.IsDrifting);
        Assert.Equal(0.05, report.Prediction.KsSignificanceLevel);
        Assert.True(report.IsDrifting);
    }

    [Fact]
    public void Score_DigitsClassesDrawnFromReferenceShares_NothingDrifts()
    {
        ReferenceProfile profile = TestProfiles.DigitsV1;
        DriftWindowSnapshot window = SampledRows.FromReference(profile, WindowRows, Seed).ToSnapshot();

        DriftReport report = new DriftScorer().Score(profile, window);

        Assert.Equal(FeatureKind.Categorical, report.Prediction.Kind);
        Assert.True(report.Prediction.JsDistance < 0.1, $"JS {report.Prediction.JsDistance}");
        Assert.Null(report.Prediction.KsPValue);
        Assert.False(report.Prediction.IsDrifting);
        Assert.Equal(0, report.DriftingFeatureCount);
        Assert.False(report.IsDrifting);
    }

    [Fact]
    public void Score_DigitsConstantPixel_HasZeroPsiAndNoKsDifference()
    {
        ReferenceProfile profile = TestProfiles.DigitsV1;
        DriftReport report = new DriftScorer().Score(profile, SampledRows.FromReference(profile, WindowRows, Seed).ToSnapshot());

        FeatureDriftResult pixel0 = report.Features[0];
        Assert.Equal(0.0, pixel0.Psi);
        Assert.Equal(0.0, pixel0.KsStatistic);
        Assert.Equal(1.0, pixel0.KsPValue);
    }

    [Fact]
    public void Score_DigitsConstantPixelNowVaries_MajorPsiAndKs()
    {
        // pixel_0 is 0 in all 1347 training rows (edges [0, 0], one bin). Half the window now reads 16.
        ReferenceProfile profile = TestProfiles.DigitsV1;
        var rows = SampledRows.FromReference(profile, WindowRows, Seed);
        var pixel0 = (NumericFeatureProfile)profile.Features[0];
        Assert.Equal([0.0, 0.0], pixel0.BinEdges.ToArray());
        for (int row = 0; row < WindowRows; row += 2)
        {
            rows.Features[0][row] = 16;
        }

        FeatureDriftResult result = new DriftScorer().Score(profile, rows.ToSnapshot()).Features[0];

        // Bins (−∞, 0), [0, 0], (0, ∞): c = (0 → ε, 0.5, 0.5), r = (ε, 1, ε):
        // PSI = 0 + (0.5 − 1)·ln(0.5) + (0.5 − 1e-4)·ln(0.5/1e-4) = 4.60431846666895
        Assert.Equal(4.60431846666895, result.Psi, 1e-12);
        Assert.Equal(PsiBand.Major, result.PsiBand);
        // KS: the reference ECDF is 1 from 0 on, the window's 0.5 until 16: D = 0.5.
        Assert.Equal(0.5, result.KsStatistic);
        Assert.Equal(DriftSignals.Psi | DriftSignals.KolmogorovSmirnov, result.Signals);
        Assert.True(result.IsDrifting);
    }

    [Fact]
    public void Score_DigitsPredictionAllOneClass_FlaggedByJensenShannon()
    {
        ReferenceProfile profile = TestProfiles.DigitsV1;
        var rows = SampledRows.FromReference(profile, WindowRows, Seed);
        var classes = (CategoricalFeatureProfile)profile.Prediction;
        Array.Fill(rows.Prediction, classes.CodeOf("1"));

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.Equal(DriftSignals.JensenShannon, report.Prediction.Signals);
        Assert.True(report.Prediction.JsDistance > 0.5);
        Assert.True(report.IsDrifting);
    }

    [Fact]
    public void Score_UnseenCategoryCodes_CountAsDrift()
    {
        ReferenceProfile profile = TestProfiles.DigitsV1;
        var rows = SampledRows.FromReference(profile, WindowRows, Seed);
        Array.Fill(rows.Prediction, -1, 0, WindowRows / 2);

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.True(report.Prediction.IsDrifting);
        Assert.Equal(WindowRows, report.Prediction.WindowSize);
    }

    [Fact]
    public void Score_WindowBelowMinimumSize_ReportsButFlagsNothing()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        var rows = SampledRows.FromReference(profile, 50, Seed);
        foreach (double[] column in rows.Features)
        {
            Shift(column, 1e6);
        }

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.False(report.HasEnoughData);
        Assert.All(report.Features, f => Assert.NotEqual(DriftSignals.None, f.Signals));
        Assert.All(report.Features, f => Assert.False(f.IsDrifting));
        Assert.False(report.IsDrifting);
    }

    [Fact]
    public void Score_EveryResult_ReportsItsWindowSize()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        var rows = SampledRows.FromReference(profile, 300, Seed);
        rows.Features[2][0] = double.NaN;

        DriftReport report = new DriftScorer().Score(profile, rows.ToSnapshot());

        Assert.Equal(300, report.WindowSize);
        Assert.Equal(299, report.Features[2].WindowSize);
        Assert.All(report.Features.Where((_, i) => i != 2), f => Assert.Equal(300, f.WindowSize));
        Assert.Equal(300, report.Prediction.WindowSize);
        Assert.All(report.Features, f => Assert.Equal(426, f.ReferenceSize));
    }

    [Fact]
    public void Score_CustomPsiBandEdges_AreApplied()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        DriftWindowSnapshot window = SampledRows.FromReference(profile, WindowRows, Seed).ToSnapshot();

        // Resampling noise gives every column a small positive PSI; tiny band edges put them all in the major band.
        DriftReport report = new DriftScorer(new DriftThresholds { PsiModerate = 1e-10, PsiMajor = 1e-9 }).Score(profile, window);

        Assert.All(report.Features, f => Assert.Equal(PsiBand.Major, f.PsiBand));
        Assert.All(report.Features, f => Assert.True(f.Signals.HasFlag(DriftSignals.Psi)));
        Assert.True(report.IsDrifting);
    }

    [Fact]
    public void Score_PsiInTheModerateBand_IsReportedButNotASignal()
    {
        ReferenceProfile profile = TestProfiles.TabularV1;
        DriftWindowSnapshot window = SampledRows.FromReference(profile, WindowRows, Seed).ToSnapshot();

        // Every column's small resampling PSI lies between these edges: moderate, not major.
        DriftReport report = new DriftScorer(new DriftThresholds { PsiModerate = 1e-9, PsiMajor = 0.1 }).Score(profile, window);

        Assert.All(report.Features, f => Assert.Equal(PsiBand.Moderate, f.PsiBand));
        Assert.All(report.Features, f => Assert.False(f.Signals.HasFlag(DriftSignals.Psi), $"{f.Name}: PSI {f.Psi}"));
    }

    [Fact]
    public void Constructor_ThresholdsEditedAfterward_KeepsTheValidatedCopy()
    {
        var thresholds = new DriftThresholds { PsiMajor = 0.3 };
        var scorer = new DriftScorer(thresholds);

        thresholds.PsiMajor = -1;

        Assert.Equal(0.3, scorer.Thresholds.PsiMajor);
    }

    [Fact]
    public void Score_WindowWithOtherColumnCount_Throws()
    {
        var window = new DriftWindow(3);
        window.Add([1, 2, 3], 0);

        Assert.Throws<ArgumentException>(() => new DriftScorer().Score(TestProfiles.TabularV1, window.Snapshot()));
    }

    [Theory]
    [InlineData("PsiModerate")]
    [InlineData("PsiMajor")]
    [InlineData("KsAlpha")]
    [InlineData("JsThreshold")]
    [InlineData("DriftShare")]
    [InlineData("PsiEpsilon")]
    [InlineData("MinimumWindowSize")]
    public void Constructor_InvalidThreshold_ThrowsNamingIt(string name)
    {
        var thresholds = new DriftThresholds();
        switch (name)
        {
            case "PsiModerate": thresholds.PsiModerate = 0; break;
            case "PsiMajor": thresholds.PsiMajor = double.PositiveInfinity; break;
            case "KsAlpha": thresholds.KsAlpha = 1.5; break;
            case "JsThreshold": thresholds.JsThreshold = -0.1; break;
            case "DriftShare": thresholds.DriftShare = 0; break;
            case "PsiEpsilon": thresholds.PsiEpsilon = 0; break;
            case "MinimumWindowSize": thresholds.MinimumWindowSize = 0; break;
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DriftScorer(thresholds));

        Assert.Equal(name, error.ParamName);
    }

    private static void Shift(double[] column, double by)
    {
        for (int i = 0; i < column.Length; i++)
        {
            column[i] += by;
        }
    }
}
