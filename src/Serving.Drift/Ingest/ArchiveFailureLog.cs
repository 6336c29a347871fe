using Serving.Hosting.Logging;

namespace Serving.Drift.Ingest;

/// <summary>
/// Turns for the "archive write failed" error line. While the disk stays full every worker's retry ends a stream the
/// same way, and each line carries a stack trace: the first failure is logged, then at most one every 30 s, saying how
/// many were not (they are all counted in <c>serving_drift_streams_failed_total{reason="archive"}</c>).
/// </summary>
internal sealed class ArchiveFailureLog
{
    private readonly LogGate _gate = new(TimeSpan.FromSeconds(30));
    private long _unlogged;

    /// <summary>
    /// How many failures went unlogged since the last line, when this one may be logged; null (and counted) when not.
    /// </summary>
    public long? TakeTurn()
    {
        if (_gate.TryPass())
        {
            return Interlocked.Exchange(ref _unlogged, 0);
        }

        Interlocked.Increment(ref _unlogged);
        return null;
    }
}
