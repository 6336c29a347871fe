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

    /// <summary>
    /// Applies <paramref name="policy"/> unless the one in force is the same change; true when it applied. A lower
    /// revision applies too: the store is the truth, and one that lost its data starts again below what is in force
    /// (<see cref="TrafficPolicyService"/> reads and applies one store value at a time, so an older read never lands last).
    /// </summary>
    public bool Apply(TrafficPolicy policy)
    {
        lock (_write)
        {
            var current = _current;
            if (current.TryGetValue(policy.Model, out var existing) && existing.IsSameChange(policy))
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
