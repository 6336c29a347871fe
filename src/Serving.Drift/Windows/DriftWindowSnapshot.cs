namespace Serving.Drift.Windows;

/// <summary>
/// An immutable copy of a <see cref="DriftWindow"/>'s records, oldest first, column by column.
/// </summary>
public sealed class DriftWindowSnapshot
{
    // Column-major: feature 0's values, feature 1's, …, then the predictions; Count values each.
    private readonly double[] _values;

    internal DriftWindowSnapshot(int featureCount, int count, double[] values, DateTimeOffset takenAt)
    {
        FeatureCount = featureCount;
        Count = count;
        _values = values;
        TakenAt = takenAt;
    }

    /// <summary>Input columns per record.</summary>
    public int FeatureCount { get; }

    /// <summary>Records in the snapshot: the window size every statistic is computed on.</summary>
    public int Count { get; }

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset TakenAt { get; }

    /// <summary>The values of input column <paramref name="index"/>, oldest first.</summary>
    public ReadOnlySpan<double> Feature(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, FeatureCount);
        return Column(index);
    }

    /// <summary>The recorded predictions, oldest first.</summary>
    public ReadOnlySpan<double> Prediction => Column(FeatureCount);

    private ReadOnlySpan<double> Column(int column) => _values.AsSpan(column * Count, Count);
}
