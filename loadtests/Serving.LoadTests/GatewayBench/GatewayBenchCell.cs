using System.Text.Json.Serialization;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.GatewayBench;

/// <summary>One target, one protocol, one closed-model concurrency, in one round.</summary>
/// <param name="Target">Direct, gateway or nginx.</param>
/// <param name="Protocol"><c>grpc</c> or <c>rest-json</c>.</param>
/// <param name="Concurrency">Closed-model callers.</param>
/// <param name="Report">The generator's report; null when the cell did not run.</param>
/// <param name="Error">Why the cell failed to run (the target did not start, the first request failed).</param>
/// <param name="Skipped">Why the cell was not run on purpose (nginx not installed).</param>
/// <param name="Round">Which round of its (protocol, concurrency) group the cell belongs to, from 1; a ratio only divides cells of the same round.</param>
/// <param name="Attempts">How many times the cell ran: twice when no request completed in its window the first time (a stall, not a failure).</param>
internal sealed record GatewayBenchCell(
    [property: JsonConverter(typeof(JsonStringEnumConverter<ProxyTarget>))] ProxyTarget Target,
    string Protocol,
    int Concurrency,
    LoadReport? Report,
    string? Error = null,
    string? Skipped = null,
    int Round = 1,
    int Attempts = 1)
{
    /// <summary>Successful requests per second; null when the cell has no report.</summary>
    [JsonIgnore]
    public double? Throughput => Report?.RequestsPerSecond;

    /// <summary>Median latency in microseconds; null when the cell has no successful call.</summary>
    [JsonIgnore]
    public double? P50Micros => Report is { Succeeded: > 0 } r ? r.Latency.P50Micros : null;
}
