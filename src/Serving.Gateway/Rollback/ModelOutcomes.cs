using System.Collections.Frozen;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Rollback;

/// <summary>The outcome windows of one model's versions that get traffic under one policy revision.</summary>
internal sealed class ModelOutcomes
{
    private readonly FrozenDictionary<string, OutcomeWindow> _windows;
    private readonly double _slowSeconds;

    private ModelOutcomes(TrafficPolicy policy, RollbackPolicy settings, FrozenDictionary<string, OutcomeWindow> windows)
    {
        Policy = policy;
        Settings = settings;
        _windows = windows;
        _slowSeconds = settings.MaxP99Ms > 0 ? settings.MaxP99Ms / 1000.0 : double.PositiveInfinity;
    }

    /// <summary>The policy these windows were laid out for.</summary>
    public TrafficPolicy Policy { get; }

    public RollbackPolicy Settings { get; }

    /// <summary>
    /// Windows for <paramref name="policy"/>'s versions with weight. A version's window carries over from
    /// <paramref name="previous"/> when it already had weight there and the window and latency limit are
    /// unchanged; a version that comes back from weight 0 starts clean, so an old incident can't fire again.
    /// </summary>
    public static ModelOutcomes For(TrafficPolicy policy, RollbackPolicy settings, ModelOutcomes? previous)
    {
        var sameShape = previous is not null && previous.Settings.WindowSeconds == settings.WindowSeconds && previous.Settings.MaxP99Ms == settings.MaxP99Ms;
        var windows = new Dictionary<string, OutcomeWindow>(StringComparer.Ordinal);
        foreach (var weight in policy.Weights.Where(w => w.Weight > 0))
        {
            windows[weight.Version] = sameShape && previous!._windows.TryGetValue(weight.Version, out var kept)
                ? kept
                : new OutcomeWindow(settings.WindowSeconds);
        }

        return new ModelOutcomes(policy, settings, windows.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public void Record(string version, RequestOutcome outcome, double seconds, long second)
    {
        if (_windows.TryGetValue(version, out var window))
        {
            window.Record(second, outcome == RequestOutcome.Failed, seconds > _slowSeconds);
        }
    }

    /// <summary>True when the version has a window (it has weight under <see cref="Policy"/>).</summary>
    public bool Tracks(string version) => _windows.ContainsKey(version);

    /// <summary>The version's counts over the window ending at <paramref name="now"/>; zero for a version without weight.</summary>
    public OutcomeCounts Counts(string version, long now) => _windows.TryGetValue(version, out var window) ? window.Sum(now) : default;
}
