using Serving.Drift.Profiles;
using Serving.Drift.Windows;

namespace Serving.Drift.Monitoring;

/// <summary>
/// One model version under watch: its reference profile, its sliding window, its alert state and
/// its latest evaluation. Any ingest stream adds records; one evaluator owns the alert state.
/// </summary>
/// <remarks>
/// Evaluations coalesce: every EveryRecords records one is requested unless one is already
/// waiting, and the evaluator snapshots the window when it gets to it. So a slow evaluator scores
/// less often instead of falling behind, and the latest evaluation always covers the latest request.
/// </remarks>
internal sealed class VersionMonitor
{
    private readonly Lock _gate = new();
    private readonly int _evaluateEvery;
    private int _sinceEvaluation;
    private long _recordsSeen;
    private int _pending;
    private volatile bool _removed;
    private DriftEvaluation? _latest;

    public VersionMonitor(ReferenceProfile profile, DriftWindowOptions window, int evaluateEvery, int consecutiveVerdicts, TimeProvider time)
    {
        Profile = profile;
        Window = new DriftWindow(profile.Features.Count, window, time);
        Alert = new Scoring.DriftAlertState(consecutiveVerdicts);
        _evaluateEvery = evaluateEvery;
    }

    public string Model => Profile.Model;

    public string Version => Profile.Version;

    public ReferenceProfile Profile { get; }

    public DriftWindow Window { get; }

    /// <summary>Owned by the evaluator loop (not thread-safe).</summary>
    public Scoring.DriftAlertState Alert { get; }

    /// <summary>The version's profile left the repository: it is no longer watched, and the evaluator retires it.</summary>
    public bool IsRemoved => _removed;

    /// <summary>Owned by the evaluator loop: its series are removed and any open alert closed.</summary>
    public bool Retired { get; set; }

    /// <summary>Records added since start.</summary>
    public long RecordsSeen => Interlocked.Read(ref _recordsSeen);

    /// <summary>The latest evaluation, or null before the first.</summary>
    public DriftEvaluation? Latest
    {
        get => Volatile.Read(ref _latest);
        set => Volatile.Write(ref _latest, value);
    }

    /// <summary>Adds a record; true when it completes another EveryRecords and the caller should request an evaluation.</summary>
    public bool Add(ReadOnlySpan<double> features, double prediction)
    {
        lock (_gate)
        {
            Window.Add(features, prediction);
            Interlocked.Increment(ref _recordsSeen);
            if (_evaluateEvery <= 0 || ++_sinceEvaluation < _evaluateEvery)
            {
                return false;
            }

            _sinceEvaluation = 0;
        }

        return TryMarkPending();
    }

    /// <summary>Marks the version removed (its profile is gone); stream bindings holding it bind again.</summary>
    public void MarkRemoved() => _removed = true;

    /// <summary>True when no evaluation was waiting (the caller requests one); false when one already is.</summary>
    public bool TryMarkPending() => Interlocked.Exchange(ref _pending, 1) == 0;

    /// <summary>Drops the waiting request (the evaluator could not take it).</summary>
    public void ClearPending() => Volatile.Write(ref _pending, 0);

    /// <summary>The evaluator's snapshot of the window now; records added after this ask for a new evaluation.</summary>
    public EvaluationRequest TakeSnapshot()
    {
        ClearPending();
        lock (_gate)
        {
            return new EvaluationRequest(this, Window.Snapshot(), RecordsSeen);
        }
    }
}
