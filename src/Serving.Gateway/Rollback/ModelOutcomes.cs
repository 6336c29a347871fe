using System.Collections.Frozen;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Rollback;

/// <summary>The outcome windows of one model's versions that get traffic under one policy revision.</summary>
internal sealed class ModelOutcomes
{
    /// <summary>
    /// What the baseline is taken to need when its window holds no answered request (it has no weight, or nothing it
    /// got was answered): a caller's budget under this never counts against a version.
    /// </summary>
    public static readonly TimeSpan BaselineFloor = TimeSpan.FromMilliseconds(1);

    private readonly FrozenDictionary<string, Tracked> _windows;
    private readonly OutcomeWindow? _baseline;
    private readonly double _slowSeconds;
    private BaselineNeed? _need;

    private ModelOutcomes(TrafficPolicy policy, RollbackPolicy settings, FrozenDictionary<string, Tracked> windows)
    {
        Policy = policy;
        Settings = settings;
        _windows = windows;
        _baseline = windows.GetValueOrDefault(settings.Baseline)?.Window;
        _slowSeconds = settings.MaxP99Ms > 0 ? settings.MaxP99Ms / 1000.0 : double.PositiveInfinity;
    }

    /// <summary>The policy these windows were laid out for.</summary>
    public TrafficPolicy Policy { get; }

    public RollbackPolicy Settings { get; }

    /// <summary>
    /// Windows for <paramref name="policy"/>'s versions with weight. A version's window carries over from
    /// <paramref name="previous"/> when it already had weight there and the window and latency limit are
    /// unchanged (and it is still, or still not, the baseline, whose window keeps latencies); a version that comes
    /// back from weight 0 starts clean, so an old incident can't fire again: a window counts the requests routed by the
    /// policy revision it was laid out for and later ones (a carried-over window, also those of the revisions it came from).
    /// </summary>
    public static ModelOutcomes For(TrafficPolicy policy, RollbackPolicy settings, ModelOutcomes? previous)
    {
        var sameShape = previous is not null && previous.Settings.WindowSeconds == settings.WindowSeconds && previous.Settings.MaxP99Ms == settings.MaxP99Ms;
        var windows = new Dictionary<string, Tracked>(StringComparer.Ordinal);
        foreach (var weight in policy.Weights.Where(w => w.Weight > 0))
        {
            var baseline = weight.Version == settings.Baseline;
            windows[weight.Version] = sameShape && previous!._windows.TryGetValue(weight.Version, out var kept) && kept.Window.KeepsLatencies == baseline
                ? kept with { Since = Math.Min(kept.Since, policy.Revision) }
                : new Tracked(new OutcomeWindow(settings.WindowSeconds, latencies: baseline), policy.Revision);
        }

        return new ModelOutcomes(policy, settings, windows.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// Counts a request's outcome against <paramref name="version"/>. A deadline expiry (failed) with the caller's
    /// <paramref name="callerBudget"/> is not counted when that budget was shorter than the baseline needs
    /// (<see cref="Need"/>): true then (excused). One the baseline would have met counts as failed. A request routed by a
    /// policy revision (<paramref name="routedBy"/>) older than the version's window is not counted: it was sent before
    /// the version came back from weight 0 (a slow failure of the incident rolled back, still in flight).
    /// </summary>
    public bool Record(string version, RequestOutcome outcome, double seconds, long second, TimeSpan? callerBudget = null, long routedBy = long.MaxValue)
    {
        if (!_windows.TryGetValue(version, out var tracked) || routedBy < tracked.Since)
        {
            return false;
        }

        var window = tracked.Window;

        if (outcome == RequestOutcome.Failed && callerBudget is { } budget && budget < Need(second))
        {
            return true;
        }

        window.Record(second, outcome == RequestOutcome.Failed, seconds > _slowSeconds, outcome == RequestOutcome.Ok ? seconds : -1);
        return false;
    }

    /// <summary>
    /// What the baseline needs to answer, judged at <paramref name="second"/>: the p99 latency of its answered requests
    /// in its window (rounded up, at most √2 over), or <see cref="BaselineFloor"/> when it has none. Worked out at most
    /// once a second.
    /// </summary>
    public TimeSpan Need(long second)
    {
        var need = Volatile.Read(ref _need);
        if (need is null || need.Second != second)
        {
            need = new BaselineNeed(second, _baseline?.P99(second) ?? BaselineFloor);
            Volatile.Write(ref _need, need);
        }

        return need.Budget;
    }

    /// <summary>True when the version has a window (it has weight under <see cref="Policy"/>).</summary>
    public bool Tracks(string version) => _windows.ContainsKey(version);

    /// <summary>The version's counts over the window ending at <paramref name="now"/>; zero for a version without weight.</summary>
    public OutcomeCounts Counts(string version, long now) => _windows.TryGetValue(version, out var tracked) ? tracked.Window.Sum(now) : default;

    private sealed record BaselineNeed(long Second, TimeSpan Budget);

    /// <summary>A version's window and the oldest policy revision whose requests it counts.</summary>
    private sealed record Tracked(OutcomeWindow Window, long Since);
}
