using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.FeatureBench;

/// <summary>One arm: one form of call against one worker, under the closed model.</summary>
/// <param name="NearCache"><c>off</c> or <c>on</c>.</param>
/// <param name="Form"><c>lookup</c> (entity ids) or <c>inline</c> (the same values in the request).</param>
/// <param name="Report">The generator's report; null when the arm could not run.</param>
/// <param name="Error">Why the arm could not run.</param>
/// <param name="Worker">What the worker's metrics say happened during the arm.</param>
/// <param name="RoundTrips">Redis round trips per batch, from the server's counters.</param>
/// <param name="RedisCpuCores">Cores redis-server used during the arm (its <c>INFO cpu</c>).</param>
/// <param name="Layout">How Redis held the entities: <c>hash</c> or <c>packed</c> (<c>features.layout</c>).</param>
/// <param name="Round">Which round of this layout and near-cache setting (from 1): odd rounds run inline first, even rounds lookup first.</param>
internal sealed record FeatureArm(
    string NearCache, string Form, LoadReport? Report, string? Error, WorkerFeatureStats? Worker, RoundTrips? RoundTrips, double? RedisCpuCores, string Layout = "hash", int Round = 1)
{
    /// <summary>The entity-id form.</summary>
    public const string Lookup = "lookup";

    /// <summary>The inline form.</summary>
    public const string Inline = "inline";

    /// <summary>Failed calls, rows filled with defaults, Redis errors and breaker refusals: 0 for a clean arm.</summary>
    public long Problems => (Report?.Failed ?? 0) + (Worker?.DefaultedRows ?? 0) + (Worker?.StoreErrors ?? 0) + (Worker?.BreakerRefusals ?? 0);
}
