namespace Serving.Worker.Features;

/// <summary>
/// A feature load cancelled part way (Ctrl+C): the rows Redis took before it and the CSV line it stopped after. The
/// writes already sent were awaited, so <see cref="Written"/> is exact.
/// </summary>
internal sealed class FeatureLoadStoppedException(long written, int line, CancellationToken cancellationToken)
    : OperationCanceledException($"the load was cancelled after line {line}, with {written} row(s) written", cancellationToken)
{
    /// <summary>Rows Redis acknowledged.</summary>
    public long Written { get; } = written;

    /// <summary>The last CSV line read (the header is line 1).</summary>
    public int Line { get; } = line;
}
