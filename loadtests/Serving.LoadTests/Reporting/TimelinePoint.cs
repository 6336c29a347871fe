namespace Serving.LoadTests.Reporting;

/// <summary>One second of the measured window.</summary>
/// <param name="Second">Seconds since the warmup ended, at the end of this interval.</param>
/// <param name="RequestsPerSecond">Successful calls per second in the interval.</param>
/// <param name="P50Micros">Median latency in the interval.</param>
/// <param name="P99Micros">p99 latency in the interval.</param>
/// <param name="Failed">Failed calls in the interval.</param>
internal sealed record TimelinePoint(double Second, double RequestsPerSecond, long P50Micros, long P99Micros, long Failed);
