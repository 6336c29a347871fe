namespace Serving.Gateway.Traffic;

/// <summary>
/// When the gateway takes a version's traffic away on its own: once a version other than
/// <paramref name="Baseline"/> has at least <paramref name="MinRequests"/> outcomes in the last
/// <paramref name="WindowSeconds"/> seconds and more than <paramref name="MaxErrorRate"/> of them
/// failed (or, with <paramref name="MaxP99Ms"/> &gt; 0, more than 1% took longer than that), its
/// weight moves to the baseline.
/// </summary>
internal sealed record RollbackPolicy(string Baseline, double MaxErrorRate, int MaxP99Ms, int MinRequests, int WindowSeconds)
{
    public const int DefaultMinRequests = 100;
    public const int DefaultWindowSeconds = 60;
    public const int MinWindowSeconds = 5;
    public const int MaxWindowSeconds = 3600;
    public const int MaxMinRequests = 1_000_000;
    public const int MaxP99Limit = 600_000;

    /// <summary>The share of requests allowed above <see cref="MaxP99Ms"/> before the p99 counts as over it.</summary>
    public const double SlowShare = 0.01;
}
