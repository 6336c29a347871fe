namespace Serving.LoadTests.Baselines.RawOrt;

/// <summary>Raw ONNX Runtime throughput at one batch size, one caller; <paramref name="CpuMicrosPerRow"/> is the process CPU (all ORT threads) per row.</summary>
internal sealed record RawOrtResult(
    int Batch, long Runs, double Seconds, double RunsPerSecond, double RowsPerSecond, double MeanMicros, long P50Micros, long P99Micros, double CpuMicrosPerRow = 0);
