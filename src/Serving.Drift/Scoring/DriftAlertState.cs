namespace Serving.Drift.Scoring;

/// <summary>
/// Turns a sequence of drift verdicts into alert start and stop events: one event when drift starts,
/// one when it stops, with optional hysteresis.
/// </summary>
/// <remarks>
/// With hysteresis N, the alert starts after N consecutive drifting verdicts and stops after N
/// consecutive non-drifting ones, so a single noisy window neither raises nor clears it.
/// Not thread-safe: keep one per model version, owned by the loop that scores it.
/// </remarks>
public sealed class DriftAlertState
{
    private int _streak;

    /// <summary>Creates a state that is not alerting.</summary>
    /// <param name="consecutiveVerdicts">Verdicts in a row needed to start or stop the alert (hysteresis); at least 1.</param>
    public DriftAlertState(int consecutiveVerdicts = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(consecutiveVerdicts, 1);
        ConsecutiveVerdicts = consecutiveVerdicts;
    }

    /// <summary>Verdicts in a row needed to change state.</summary>
    public int ConsecutiveVerdicts { get; }

    /// <summary>Whether the drift alert is active.</summary>
    public bool IsAlerting { get; private set; }

    /// <summary>Feeds one verdict; returns <see cref="DriftAlertTransition.Started"/> or <see cref="DriftAlertTransition.Stopped"/> when the state flips.</summary>
    public DriftAlertTransition Observe(bool isDrifting)
    {
        // A verdict that agrees with the current state breaks any run toward the other state.
        if (isDrifting == IsAlerting)
        {
            _streak = 0;
            return DriftAlertTransition.None;
        }

        if (++_streak < ConsecutiveVerdicts)
        {
            return DriftAlertTransition.None;
        }

        _streak = 0;
        IsAlerting = isDrifting;
        return isDrifting ? DriftAlertTransition.Started : DriftAlertTransition.Stopped;
    }

    /// <summary>Feeds a report's verdict; a report without enough data is ignored rather than read as "no drift".</summary>
    public DriftAlertTransition Observe(DriftReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.HasEnoughData ? Observe(report.IsDrifting) : DriftAlertTransition.None;
    }
}
