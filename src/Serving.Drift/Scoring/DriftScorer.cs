using System.Buffers;
using Serving.Drift.Profiles;
using Serving.Drift.Statistics;
using Serving.Drift.Windows;

namespace Serving.Drift.Scoring;

/// <summary>
/// Compares a window snapshot with a version's reference profile: PSI, KS and Jensen–Shannon per
/// column, the same for the prediction, and the version's drift verdict.
/// </summary>
/// <remarks>Stateless apart from its thresholds, so one instance can score any number of versions concurrently.</remarks>
public sealed class DriftScorer
{
    private readonly DriftThresholds _thresholds;

    /// <summary>Creates a scorer; <paramref name="thresholds"/> defaults to <see cref="DriftThresholds"/>'s defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is out of range; the message names it.</exception>
    public DriftScorer(DriftThresholds? thresholds = null)
    {
        // A private copy: validated once, and safe from later edits to the caller's instance.
        _thresholds = (thresholds ?? new DriftThresholds()).Copy();
        _thresholds.ThrowIfInvalid();
    }

    /// <summary>A copy of the thresholds in use.</summary>
    public DriftThresholds Thresholds => _thresholds.Copy();

    /// <summary>Scores <paramref name="window"/> against <paramref name="reference"/>.</summary>
    /// <exception cref="ArgumentException">The window's column count differs from the profile's.</exception>
    public DriftReport Score(ReferenceProfile reference, DriftWindowSnapshot window)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(window);
        if (window.FeatureCount != reference.Features.Count)
        {
            throw new ArgumentException(
                $"The window has {window.FeatureCount} columns but {reference.Model}/{reference.Version}'s profile has {reference.Features.Count}.",
                nameof(window));
        }

        // One scratch buffer for every column's sorted copy.
        double[] scratch = ArrayPool<double>.Shared.Rent(Math.Max(1, window.Count));
        try
        {
            double featureLevel = Bonferroni.PerTestLevel(_thresholds.KsAlpha, reference.NumericFeatureCount);
            var features = new FeatureDriftResult[reference.Features.Count];
            for (int i = 0; i < features.Length; i++)
            {
                features[i] = ScoreColumn(reference.Features[i], reference.Rows, window.Feature(i), featureLevel, scratch);
            }

            FeatureDriftResult prediction = ScoreColumn(reference.Prediction, reference.Rows, window.Prediction, _thresholds.KsAlpha, scratch);
            return Verdict(reference, window, features, prediction);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }

    private FeatureDriftResult ScoreColumn(FeatureProfile profile, int referenceRows, ReadOnlySpan<double> values, double ksLevel, double[] scratch) =>
        profile switch
        {
            NumericFeatureProfile numeric => NumericColumnScorer.Score(numeric, values, ksLevel, _thresholds, scratch),
            CategoricalFeatureProfile categorical => CategoricalColumnScorer.Score(categorical, referenceRows, values, _thresholds),
            _ => throw new InvalidOperationException($"Unknown profile type {profile.GetType().Name}."),
        };

    private DriftReport Verdict(ReferenceProfile reference, DriftWindowSnapshot window, FeatureDriftResult[] features, FeatureDriftResult prediction)
    {
        int drifting = features.Count(f => f.IsDrifting);
        double share = (double)drifting / features.Length;
        bool enough = window.Count >= _thresholds.MinimumWindowSize;
        return new DriftReport
        {
            Model = reference.Model,
            Version = reference.Version,
            WindowSize = window.Count,
            WindowTakenAt = window.TakenAt,
            HasEnoughData = enough,
            Features = features,
            Prediction = prediction,
            DriftingFeatureCount = drifting,
            DriftingFeatureShare = share,
            IsDrifting = enough && (share >= _thresholds.DriftShare || prediction.IsDrifting),
        };
    }
}
