using Serving.Drift.Alerts;
using Serving.Drift.Archive;
using Serving.Drift.Monitoring;
using Serving.Drift.Scoring;
using Serving.Drift.Windows;

namespace Serving.Drift.Hosting;

/// <summary>The drift monitor's settings (section <c>Serving:Drift</c>).</summary>
public sealed class DriftOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Drift";

    /// <summary>The address both listeners bind to (the ingest one unless <see cref="GrpcBindAddress"/> is set). Default <c>0.0.0.0</c>.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// The address the gRPC ingest listener binds to; unset, <see cref="BindAddress"/>. A sidecar in its worker's pod sets
    /// <c>127.0.0.1</c>: its worker reaches it, nothing else can write records, and the report and metrics stay reachable.
    /// </summary>
    public string? GrpcBindAddress { get; set; }

    /// <summary>gRPC (HTTP/2 cleartext) ingest port; 0 picks a free port. Default 8090.</summary>
    public int GrpcPort { get; set; } = 8090;

    /// <summary>REST port: the drift report, health and <c>/metrics</c>; 0 picks a free port. Default 8091.</summary>
    public int RestPort { get; set; } = 8091;

    /// <summary>
    /// The most connections each listener holds at once; past it new ones are closed on arrival. 0 (the default) derives it
    /// from the process's open-file limit, as for the worker.
    /// </summary>
    public long MaxConnections { get; set; }

    /// <summary>The model repository whose <c>&lt;model&gt;/&lt;version&gt;/reference.json</c> files are the reference profiles. Default <c>models</c>.</summary>
    public string ModelRepository { get; set; } = "models";

    /// <summary>
    /// How long a version without a readable profile waits before its profile is looked for again, and how often a watched
    /// version's profile is checked to be still there (every second when 0); a version whose profile is gone stops being
    /// watched. Default 30 s.
    /// </summary>
    public TimeSpan ProfileRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bearer token every ingest stream must carry (<c>authorization: Bearer &lt;token&gt;</c>; the worker's
    /// <c>Serving:Worker:PredictionLogs:IngestToken</c>); a stream without it, or with another, ends UNAUTHENTICATED before
    /// anything is read. Unset (the default), ingest is open to whoever reaches <see cref="GrpcPort"/>.
    /// </summary>
    public string? IngestToken { get; set; }

    /// <summary>Largest batch message accepted on the ingest stream. Default 16 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most records in one batch; a larger batch ends its stream. Default 65536.</summary>
    public int MaxRecordsPerBatch { get; set; } = 65_536;

    /// <summary>Sliding window per model version: most records and oldest age.</summary>
    public DriftWindowOptions Window { get; set; } = new();

    /// <summary>When features, predictions and versions count as drifting.</summary>
    public DriftThresholds Thresholds { get; set; } = new();

    /// <summary>When windows are scored.</summary>
    public EvaluationOptions Evaluation { get; set; } = new();

    /// <summary>The archive of received records.</summary>
    public ArchiveOptions Archive { get; set; } = new();

    /// <summary>Alert hysteresis and the optional webhook.</summary>
    public AlertOptions Alerts { get; set; } = new();
}
