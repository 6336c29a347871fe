using System.Collections.Concurrent;

namespace Serving.Worker.Features;

/// <summary>
/// A bounded cache of hot entities with a TTL, in front of the store. Past its size it drops
/// expired entries, then arbitrary ones: bounded memory matters more than perfect recency here.
/// </summary>
internal sealed class NearCache(int capacity, TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public bool Enabled => ttl > TimeSpan.Zero;

    public bool TryGet(string key, out double[]? values)
    {
        if (Enabled && _entries.TryGetValue(key, out var entry) && time.GetTimestamp() < entry.ExpiresAt)
        {
            values = entry.Values;
            return true;
        }

        values = null;
        return false;
    }

    /// <summary>Caches a fetched entity (null = known missing, cached too so a hot unknown id doesn't hammer the store).</summary>
    public void Set(string key, double[]? values)
    {
        if (!Enabled)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            Trim();
        }

        _entries[key] = new Entry(values, time.GetTimestamp() + (long)(ttl.TotalSeconds * time.TimestampFrequency));
    }

    private void Trim()
    {
        var now = time.GetTimestamp();
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        foreach (var key in _entries.Keys)
        {
            if (_entries.Count < capacity * 9 / 10)
            {
                break;
            }

            _entries.TryRemove(key, out _);
        }
    }

    private readonly record struct Entry(double[]? Values, long ExpiresAt);
}
