using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.DriftBench;

/// <summary>One worker cell: the closed model at the bench's concurrency, with prediction logging on or off.</summary>
/// <param name="Logging">True: every prediction is logged to the sidecar.</param>
/// <param name="Round">Which round of the alternation (1-based).</param>
/// <param name="Report">The generator's report; null when the cell could not run.</param>
/// <param name="Error">Why the cell could not run.</param>
/// <param name="Logs">Logging on: what the worker's log path did during the cell.</param>
/// <param name="Batching">What the worker's batcher did during the cell (warmup included); null when the cell could not run.</param>
internal sealed record WorkerCell(bool Logging, int Round, LoadReport? Report, string? Error, LoggingStats? Logs, Bench.BatchingStats? Batching = null)
{
    /// <summary>The arm as printed.</summary>
    public string Arm => Logging ? "logging 100% → sidecar" : "logging off";
}
