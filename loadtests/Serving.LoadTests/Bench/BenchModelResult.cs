using Serving.LoadTests.Baselines.RawOrt;

namespace Serving.LoadTests.Bench;

/// <summary>Everything the bench measured for one model.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Version">The version served.</param>
/// <param name="RequestBytes">The gRPC request message every server received.</param>
/// <param name="ModelYaml">The <c>model.yaml</c> the worker loaded.</param>
/// <param name="RawOrt">ONNX Runtime alone at batch 1 and at max batch; null when it could not run.</param>
/// <param name="Cells">Every server × load, closed and open.</param>
/// <param name="Batching">The batching settings the worker ran with (the model's own, then the bench's overrides); null in reports saved before they were recorded.</param>
internal sealed record BenchModelResult(
    string Model, string Version, int RequestBytes, string ModelYaml, RawOrtReport? RawOrt, IReadOnlyList<BenchCell> Cells, BatchingConfig? Batching = null)
{
    /// <summary>The worker's batching settings (the bench's defaults for reports saved without them).</summary>
    public BatchingConfig WorkerBatching => Batching ?? new BatchingConfig();

    /// <summary>Raw ORT at batch 1, one caller.</summary>
    public RawOrtResult? RawBatch1 => RawOrt?.Results.FirstOrDefault(r => r.Batch == 1 && r.Callers == 1);

    /// <summary>Raw ORT at the largest batch measured, in whichever setting gave the most rows/s: the ceiling of the model alone.</summary>
    public RawOrtResult? RawMaxBatch => RawOrt?.Results.Where(r => r.Batch > 1).GroupBy(r => r.Batch).MaxBy(g => g.Key)?.MaxBy(r => r.RowsPerSecond);

    /// <summary>Raw ORT at the largest batch as the worker runs it (its threads, one caller per instance): one full batch's compute time.</summary>
    public RawOrtResult? RawFullBatch
    {
        get
        {
            var b = WorkerBatching;
            var max = RawOrt?.Results.Where(r => r.Batch > 1).ToList() ?? [];
            var largest = max.Count > 0 ? max.Max(r => r.Batch) : 0;
            return max.FirstOrDefault(r => r.Batch == largest && r.Callers == b.Instances && r.IntraOpThreads == b.IntraOpThreads) ?? RawMaxBatch;
        }
    }

    /// <summary>True when one row alone costs ONNX Runtime at least <see cref="BenchRatios.ComputeBoundMicrosPerRow"/> µs: batching should pay.</summary>
    public bool IsComputeBound => RawBatch1 is { } b && b.MeanMicros >= BenchRatios.ComputeBoundMicrosPerRow;

    /// <summary>The closed-model cell of <paramref name="arm"/> at <paramref name="concurrency"/>.</summary>
    public BenchCell? Closed(BenchArm arm, int concurrency) =>
        Cells.FirstOrDefault(c => c.Arm == arm && c.Mode == "closed" && c.Concurrency == concurrency);

    /// <summary>The open-model cell of <paramref name="arm"/>.</summary>
    public BenchCell? Open(BenchArm arm) => Cells.FirstOrDefault(c => c.Arm == arm && c.Mode == "open");

    /// <summary>The paired efficiency check's cells of <paramref name="arm"/>, by round.</summary>
    public IReadOnlyList<BenchCell> Paired(BenchArm arm) =>
        [.. Cells.Where(c => c.Arm == arm && c.Mode == "paired").OrderBy(c => c.Round)];

    /// <summary>The highest throughput (rows/s) the batched worker reached in the closed model.</summary>
    public double? PeakBatchedRowsPerSecond =>
        Cells.Where(c => c.Arm == BenchArm.WorkerBatching && c.Mode == "closed" && c.Report is not null)
            .Select(c => (double?)c.Report!.RowsPerSecond).Max();
}
