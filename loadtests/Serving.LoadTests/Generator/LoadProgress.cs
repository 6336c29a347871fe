namespace Serving.LoadTests.Generator;

/// <summary>A once-a-second view of a run in progress.</summary>
/// <param name="Elapsed">Time since the run started (warmup included).</param>
/// <param name="Phase"><c>warmup</c>, <c>measure</c> or <c>drain</c>.</param>
/// <param name="RequestsPerSecond">Calls completed in the last interval, whatever their outcome.</param>
/// <param name="P99Micros">p99 latency of the measured window so far (0 in the warmup).</param>
/// <param name="Succeeded">Successful calls in the measured window so far.</param>
/// <param name="Failed">Failed calls in the measured window so far.</param>
internal sealed record LoadProgress(TimeSpan Elapsed, string Phase, double RequestsPerSecond, long P99Micros, long Succeeded, long Failed);
