namespace Serving.Drift.Monitoring;

/// <summary>When a version's window is scored (section <c>Serving:Drift:Evaluation</c>).</summary>
public sealed class EvaluationOptions
{
    /// <summary>Score after every this many records of a version (0: off). Default 100.</summary>
    public int EveryRecords { get; set; } = 100;

    /// <summary>
    /// Evaluations of one version start at least this far apart; requests meanwhile coalesce into one that runs
    /// when it has passed, so heavy traffic costs a bounded share of a core instead of one evaluation per
    /// EveryRecords records (zero: no spacing). Default 1 s.
    /// </summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Also score every version this often, so age eviction shows without traffic (zero: off). Default 30 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
}
