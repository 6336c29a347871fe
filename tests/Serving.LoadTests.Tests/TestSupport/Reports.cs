using Serving.LoadTests.Bench;
using Serving.LoadTests.Baselines.RawOrt;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Tests.TestSupport;

/// <summary>Hand-built reports and bench results with just the figures a test reads.</summary>
internal static class Reports
{
    public static LoadReport Load(double rowsPerSecond, long p99Micros = 1_000, long failed = 0, string mode = "closed", double? rate = null) => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        Target = "http://127.0.0.1:1",
        Protocol = "grpc",
        GrpcClient = "raw-h2",
        Model = "m",
        ModelVersion = string.Empty,
        Mode = mode,
        Concurrency = mode == "closed" ? 64 : null,
        Rate = rate,
        WarmupSeconds = 1,
        DurationSeconds = 5,
        MeasuredSeconds = 5,
        RowsPerRequest = 1,
        RequestBytes = 150,
        Succeeded = (long)(rowsPerSecond * 5),
        Failed = failed,
        RequestsPerSecond = rowsPerSecond,
        RowsPerSecond = rowsPerSecond,
        Latency = new LatencySummary((long)(rowsPerSecond * 5), 10, p99Micros / 4.0, p99Micros / 4, p99Micros / 2, p99Micros, p99Micros * 2, p99Micros * 3),
        ServiceTime = mode == "open" ? new LatencySummary(1, 1, 1, 1, 1, p99Micros / 2, p99Micros, p99Micros) : null,
        Errors = failed > 0 ? [new OutcomeCount("grpc", "Unavailable", failed, "queue | full")] : [],
        LatencyDistribution = [],
        Timeline = [],
    };

    public static BenchCell Closed(BenchArm arm, int concurrency, double rowsPerSecond) =>
        new(arm, "closed", concurrency, null, Load(rowsPerSecond), null, null);

    public static BenchCell Paired(BenchArm arm, int round, double rowsPerSecond) =>
        Closed(arm, 64, rowsPerSecond) with { Mode = "paired", Round = round };

    public static BenchCell Open(BenchArm arm, double rate, long p99Micros, long failed = 0) =>
        new(arm, "open", null, rate, Load(rate, p99Micros, failed, "open", rate), null, null);

    public static RawOrtReport RawOrt(double batch1MeanMicros, double maxBatchRowsPerSecond, double maxBatchMeanMicros, int maxBatch = 64, double cpuMicrosPerRow = 0, int threads = 0) =>
        new("model.onnx", threads,
        [
            new RawOrtResult(1, 1000, 1, 1e6 / batch1MeanMicros, 1e6 / batch1MeanMicros, batch1MeanMicros, (long)batch1MeanMicros, (long)batch1MeanMicros * 2, IntraOpThreads: threads),
            RawResult(maxBatch, maxBatchRowsPerSecond, maxBatchMeanMicros, cpuMicrosPerRow, threads: threads),
        ]);

    public static RawOrtResult RawResult(int batch, double rowsPerSecond, double meanMicros, double cpuMicrosPerRow = 0, int callers = 1, int threads = 0) =>
        new(batch, 1000, 1, rowsPerSecond / batch, rowsPerSecond, meanMicros, (long)meanMicros, (long)meanMicros * 2, cpuMicrosPerRow, callers, threads);

    public static BenchModelResult Model(RawOrtReport? raw, params BenchCell[] cells) =>
        new("m", "1", 150, "name: m\n", raw, cells);
}
