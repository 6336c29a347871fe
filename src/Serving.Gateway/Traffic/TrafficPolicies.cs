using System.Collections.Frozen;

namespace Serving.Gateway.Traffic;

/// <summary>
/// The policies in force: an immutable map swapped whole on every change, so a request reads one
/// consistent policy without a lock and requests already routed are untouched by a change.
/// </summary>
internal sealed class TrafficPolicies
{
    private readonly Lock _write = new();
    private FrozenDictionary<string, TrafficPolicy> _current = FrozenDictionary<string, TrafficPolicy>.Empty;

    /// <summary>Raised after a policy is applied.</summary>
    public event Action<TrafficPolicy>? Applied;

    public FrozenDictionary<string, TrafficPolicy> Current => Volatile.Read(ref _current);

    public TrafficPolicy? Find(string model) => Current.GetValueOrDefault(model);

    /// <summary>Applies <paramref name="policy"/> unless the one in force is as new or newer; true when it applied.</summary>
    public bool Apply(TrafficPolicy policy)
    {
        lock (_write)
        {
            var current = _current;
            if (current.TryGetValue(policy.Model, out var existing) && existing.Revision >= policy.Revision)
            {
                return false;
            }

            var next = new Dictionary<string, TrafficPolicy>(current, StringComparer.Ordinal) { [policy.Model] = policy };
            Volatile.Write(ref _current, next.ToFrozenDictionary(StringComparer.Ordinal));
        }

        Applied?.Invoke(policy);
        return true;
    }
}
