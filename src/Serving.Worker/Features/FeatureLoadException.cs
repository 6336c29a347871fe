namespace Serving.Worker.Features;

/// <summary>
/// A feature load that Redis stopped part way: how many rows were written before it, and the key whose write failed
/// (<see cref="Exception.InnerException"/> is Redis's error).
/// </summary>
internal sealed class FeatureLoadException(long written, string key, Exception inner)
    : Exception($"writing '{key}' failed after {written} row(s) were written: {inner.Message}", inner)
{
    /// <summary>Rows Redis acknowledged before the failure.</summary>
    public long Written { get; } = written;

    /// <summary>The first key whose write failed.</summary>
    public string Key { get; } = key;
}
