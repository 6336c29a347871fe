namespace Serving.Drift.Scoring;

/// <summary>The drift verdict of one model version over one window snapshot.</summary>
public sealed class DriftReport
{
    /// <summary>Model name.</summary>
    public required string Model { get; init; }

    /// <summary>Model version.</summary>
    public required string Version { get; init; }

    /// <summary>Records in the window the statistics were computed on.</summary>
    public required int WindowSize { get; init; }

    /// <summary>When the window snapshot was taken.</summary>
    public required DateTimeOffset WindowTakenAt { get; init; }

    /// <summary>Whether the window reached <see cref="DriftThresholds.MinimumWindowSize"/>; if not, nothing is flagged.</summary>
    public required bool HasEnoughData { get; init; }

    /// <summary>One result per input column, in input order.</summary>
    public required IReadOnlyList<FeatureDriftResult> Features { get; init; }

    /// <summary>The prediction's result.</summary>
    public required FeatureDriftResult Prediction { get; init; }

    /// <summary>How many input columns drift.</summary>
    public required int DriftingFeatureCount { get; init; }

    /// <summary><see cref="DriftingFeatureCount"/> over the number of input columns.</summary>
    public required double DriftingFeatureShare { get; init; }

    /// <summary>The version drifts: drifting share ≥ <see cref="DriftThresholds.DriftShare"/>, or the prediction drifts.</summary>
    public required bool IsDrifting { get; init; }
}
