namespace Serving.LoadTests.Baselines.RawOrt;

/// <summary>
/// Raw ONNX Runtime throughput at one batch size: <paramref name="Callers"/> threads calling <c>session.Run</c> at once
/// with <paramref name="IntraOpThreads"/> ORT threads (0 = ORT's default); rows/s and runs/s are their sum, latencies
/// are per run, and <paramref name="CpuMicrosPerRow"/> is the process CPU (all threads) per row.
/// </summary>
internal sealed record RawOrtResult(
    int Batch, long Runs, double Seconds, double RunsPerSecond, double RowsPerSecond, double MeanMicros, long P50Micros, long P99Micros, double CpuMicrosPerRow = 0,
    int Callers = 1, int IntraOpThreads = 0);
