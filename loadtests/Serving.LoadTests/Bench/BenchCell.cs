using System.Text.Json.Serialization;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Bench;

/// <summary>One server under one load: a closed-model concurrency, or the open model at a rate.</summary>
/// <param name="Arm">The server.</param>
/// <param name="Mode"><c>closed</c>, <c>open</c>, or <c>paired</c> (the paired efficiency check, closed model).</param>
/// <param name="Concurrency">Closed model: callers.</param>
/// <param name="Rate">Open model: requests per second.</param>
/// <param name="Report">The generator's report; null when the cell could not run.</param>
/// <param name="Error">Why the cell could not run.</param>
/// <param name="Batching">Worker with batching: what the batcher did in the cell.</param>
/// <param name="Attempts">How many times the cell ran (more than once when others' CPU use made it noisy; the quietest is kept).</param>
/// <param name="Round">Paired cells (mode <c>paired</c>): the round of the paired efficiency check.</param>
internal sealed record BenchCell(
    [property: JsonConverter(typeof(JsonStringEnumConverter<BenchArm>))] BenchArm Arm,
    string Mode,
    int? Concurrency,
    double? Rate,
    LoadReport? Report,
    string? Error,
    BatchingStats? Batching,
    int Attempts = 1,
    int? Round = null);
