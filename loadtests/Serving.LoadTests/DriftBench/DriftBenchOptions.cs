using Serving.LoadTests.Targets;

namespace Serving.LoadTests.DriftBench;

/// <summary>What <c>serving-loadtest drift-bench</c> runs.</summary>
internal sealed record DriftBenchOptions
{
    private static readonly Serving.Worker.PredictionLogs.PredictionLogOptions WorkerDefaults = new();

    /// <summary>The model the worker serves and the records describe (a name in <c>models/</c> or <c>loadtests/models/</c>, or a folder).</summary>
    public string Model { get; init; } = "tabular";

    /// <summary>Closed-model callers on the worker.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Measured time per worker cell.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>End a worker cell after this many measured requests, if that comes before <see cref="Duration"/>.</summary>
    public long? CellRequests { get; init; }

    /// <summary>Unrecorded load before each worker cell.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Unrecorded load on each worker after it starts (JIT tiering, thread pool growth).</summary>
    public TimeSpan ServerWarmup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Cells per arm; the arms alternate ABBA (off, on, on, off, …) so a drift in the process's speed hits both alike.</summary>
    public int Rounds { get; init; } = 4;

    /// <summary>The gRPC client of the worker cells.</summary>
    public GrpcClientKind GrpcClient { get; init; } = GrpcClientKind.RawHttp2;

    /// <summary>Measured time of each ingest run.</summary>
    public TimeSpan IngestDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unrecorded ingest before the measured window.</summary>
    public TimeSpan IngestWarmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Stop an ingest run after this many measured records, if that comes before <see cref="IngestDuration"/>.</summary>
    public long? IngestRecords { get; init; }

    /// <summary>Records per batch (the worker's default <c>BatchSize</c>).</summary>
    public int BatchSize { get; init; } = WorkerDefaults.BatchSize;

    /// <summary>Batches in flight per stream (the worker's default <c>MaxUnackedBatches</c>).</summary>
    public int MaxUnackedBatches { get; init; } = WorkerDefaults.MaxUnackedBatches;

    /// <summary>Concurrent ingest streams (one per worker feeding the sidecar).</summary>
    public int Streams { get; init; } = 1;

    /// <summary>Also measure ingest with <c>Archive:FlushToDisk=false</c> (flushed to the OS, no fsync).</summary>
    public bool OsFlushRun { get; init; } = true;

    /// <summary>Which parts run: the worker ratio, the ingest rate, or both.</summary>
    public bool RunWorker { get; init; } = true;

    /// <summary>See <see cref="RunWorker"/>.</summary>
    public bool RunIngest { get; init; } = true;

    /// <summary>Where to write the Markdown report as well as stdout.</summary>
    public string? MarkdownPath { get; init; }

    /// <summary>Where to write the JSON report.</summary>
    public string? JsonPath { get; init; }

    /// <summary>The longest the whole run may take before it stops by itself and prints what it has.</summary>
    public TimeSpan Bound
    {
        get
        {
            var cell = Warmup + Duration + TimeSpan.FromSeconds(2);
            var worker = RunWorker ? (2 * (ServerWarmup + TimeSpan.FromSeconds(10))) + (2 * Rounds * cell) : TimeSpan.Zero;
            var ingest = RunIngest ? (OsFlushRun ? 2 : 1) * (IngestWarmup + IngestDuration + TimeSpan.FromSeconds(30)) : TimeSpan.Zero;
            return (2 * (worker + ingest)) + TimeSpan.FromMinutes(1);
        }
    }

    /// <summary>The expected wall time, printed at the start.</summary>
    public TimeSpan Estimate
    {
        get
        {
            var cell = Warmup + Duration + TimeSpan.FromSeconds(1);
            var worker = RunWorker ? (2 * (ServerWarmup + TimeSpan.FromSeconds(2))) + (2 * Rounds * cell) : TimeSpan.Zero;
            var ingest = RunIngest ? (OsFlushRun ? 2 : 1) * (IngestWarmup + IngestDuration + TimeSpan.FromSeconds(4)) : TimeSpan.Zero;
            return worker + ingest;
        }
    }

    /// <summary>Throws when the options cannot run.</summary>
    public void Validate()
    {
        Require(RunWorker || RunIngest, "--only must name worker or ingest");
        Require(Concurrency is > 0 and <= 4096, "--concurrency must be between 1 and 4096");
        Require(Duration >= TimeSpan.FromSeconds(1), "--duration must be at least 1s");
        Require(Warmup >= TimeSpan.Zero, "--warmup must not be negative");
        Require(ServerWarmup >= TimeSpan.Zero, "--server-warmup must not be negative");
        Require(Rounds is >= 1 and <= 10, "--rounds must be between 1 and 10");
        Require(IngestDuration >= TimeSpan.FromSeconds(1), "--ingest-duration must be at least 1s");
        Require(IngestWarmup >= TimeSpan.Zero, "--ingest-warmup must not be negative");
        Require(IngestRecords is null or > 0, "--ingest-records must be positive");
        Require(CellRequests is null or > 0, "--requests must be positive");
        Require(BatchSize is >= 1 and <= 65_536, "--batch-size must be between 1 and 65536 (the sidecar's default MaxRecordsPerBatch)");
        Require(MaxUnackedBatches is >= 1 and <= 1024, "--max-unacked must be between 1 and 1024");
        Require(Streams is >= 1 and <= 64, "--streams must be between 1 and 64");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw LoadTestException.Usage(message);
        }
    }
}
