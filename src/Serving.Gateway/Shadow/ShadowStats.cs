using System.Collections.Concurrent;

namespace Serving.Gateway.Shadow;

/// <summary>Per-model shadow counts for the admin API (Prometheus has the same, by label).</summary>
internal sealed class ShadowStats
{
    private readonly ConcurrentDictionary<string, Counts> _models = new(StringComparer.Ordinal);

    public void Record(string model, string result) => _models.GetOrAdd(model, _ => new Counts()).Add(result);

    public IReadOnlyDictionary<string, long> For(string model) =>
        _models.TryGetValue(model, out var counts) ? counts.Snapshot() : new Dictionary<string, long>();

    private sealed class Counts
    {
        private readonly ConcurrentDictionary<string, long> _byResult = new(StringComparer.Ordinal);

        public void Add(string result) => _byResult.AddOrUpdate(result, 1, (_, n) => n + 1);

        public Dictionary<string, long> Snapshot() => new(_byResult, StringComparer.Ordinal);
    }
}
