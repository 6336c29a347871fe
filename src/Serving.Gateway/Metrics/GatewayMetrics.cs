using Prometheus;

namespace Serving.Gateway.Metrics;

/// <summary>The gateway's Prometheus series, all named <c>serving_gateway_*</c> (see docs/gateway.md).</summary>
internal sealed class GatewayMetrics
{
    private static readonly Counter Requests = Prometheus.Metrics.CreateCounter(
        "serving_gateway_requests_total", "Infer requests through the gateway by model, version, arm, protocol and answer code (HTTP status or gRPC status name).",
        new CounterConfiguration { LabelNames = ["model", "version", "arm", "protocol", "code"] });

    private static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram(
        "serving_gateway_request_duration_seconds", "Infer request latency at the gateway, forwarding included.",
        new HistogramConfiguration { LabelNames = ["model", "version", "protocol"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 17) });

    private static readonly Counter Retries = Prometheus.Metrics.CreateCounter(
        "serving_gateway_retries_total", "Requests retried on another worker: after a connection failure, or when the worker answered that it no longer has the version.",
        new CounterConfiguration { LabelNames = ["model", "version"] });

    private static readonly Counter Shadow = Prometheus.Metrics.CreateCounter(
        "serving_gateway_shadow_requests_total", "Shadow copies by model, shadow version and result (agree, disagree, shadow_error, timeout, primary_error, too_large, no_worker, dropped).",
        new CounterConfiguration { LabelNames = ["model", "version", "result"] });

    private static readonly Counter Disagreements = Prometheus.Metrics.CreateCounter(
        "serving_gateway_shadow_disagreements_total", "Shadow answers that differ from the primary's.",
        new CounterConfiguration { LabelNames = ["model", "primary_version", "shadow_version"] });

    private static readonly Histogram ShadowDuration = Prometheus.Metrics.CreateHistogram(
        "serving_gateway_shadow_duration_seconds", "Latency of shadowed requests: role=primary for the answer the caller got, role=shadow for the copy.",
        new HistogramConfiguration { LabelNames = ["model", "version", "role"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 17) });

    private static readonly Gauge PolicyRevision = Prometheus.Metrics.CreateGauge(
        "serving_gateway_policy_revision", "Revision of the traffic policy in force per model.", new GaugeConfiguration { LabelNames = ["model"] });

    private static readonly Gauge PolicyWeight = Prometheus.Metrics.CreateGauge(
        "serving_gateway_policy_weight", "Percent of unversioned requests each version gets under the policy in force.",
        new GaugeConfiguration { LabelNames = ["model", "version"] });

    private static readonly Counter Rollbacks = Prometheus.Metrics.CreateCounter(
        "serving_gateway_rollbacks_total", "Automatic rollbacks this gateway applied, by model and the version whose traffic went back to the baseline.",
        new CounterConfiguration { LabelNames = ["model", "version"] });

    private static readonly Counter RollbackExcused = Prometheus.Metrics.CreateCounter(
        "serving_gateway_rollback_excused_total",
        "Deadline expiries (504 / DEADLINE_EXCEEDED) of the callers' own deadlines that automatic rollback did not count against the version: the caller's budget was shorter than the baseline needs.",
        new CounterConfiguration { LabelNames = ["model", "version"] });

    private static readonly Gauge WorkerHealthy = Prometheus.Metrics.CreateGauge(
        "serving_gateway_worker_healthy", "1 when a worker gets requests, 0 when probes or connection failures keep it out.",
        new GaugeConfiguration { LabelNames = ["worker"] });

    private static readonly string[] HttpCodes = [.. Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static readonly string[] GrpcCodes = [.. Enumerable.Range(0, 17).Select(i => ((Grpc.Core.StatusCode)i).ToString())];

    /// <summary>The <c>model</c> of a request for a model the gateway doesn't serve.</summary>
    public const string UnknownModel = "_unknown";

    /// <summary>The <c>model</c> of a request refused before a model could be taken from it (a bad name, a malformed or too large message).</summary>
    public const string InvalidModel = "_invalid";

    /// <summary>The <c>code</c> of a REST request whose caller went away before the answer started (nginx's 499).</summary>
    public const string ClientClosedRequest = "499";

    public static string HttpCode(int status) => (uint)status < HttpCodes.Length ? HttpCodes[status] : "other";

    public static string GrpcCode(int status) => (uint)status < GrpcCodes.Length ? GrpcCodes[status] : "other";

    // The series of each label set, resolved once: WithLabels allocates its label array and hashes the labels per call.
    // Label values are bounded (known models and versions, "_unknown"/"_invalid" for the rest).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Model, string Version, string Arm, string Protocol, string Code), (Counter.Child Requests, Histogram.Child? Duration)> _series = new();

    /// <summary>The <c>protocol</c> label of a ModelStreamInfer stream.</summary>
    public const string StreamProtocol = "grpc-stream";

    public void Observe(string model, string version, string arm, string protocol, string code, double seconds)
    {
        var series = _series.GetOrAdd(
            (model, version, arm, protocol, code),
            static key => (
                Requests.WithLabels(key.Model, key.Version, key.Arm, key.Protocol, key.Code),
                // A stream's length is the caller's choice, not a latency: streams are counted, not timed.
                key.Version.Length > 0 && key.Protocol != StreamProtocol ? Duration.WithLabels(key.Model, key.Version, key.Protocol) : null));
        series.Requests.Inc();
        series.Duration?.Observe(seconds);
    }

    public void Retried(string model, string version) => Retries.WithLabels(model, version).Inc();

    public void ShadowResult(string model, string version, string result) => Shadow.WithLabels(model, version, result).Inc();

    public void Disagreed(string model, string primaryVersion, string shadowVersion) => Disagreements.WithLabels(model, primaryVersion, shadowVersion).Inc();

    public void ShadowLatency(string model, string version, string role, double seconds) => ShadowDuration.WithLabels(model, version, role).Observe(seconds);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> _weighted = new(StringComparer.Ordinal);

    public void PolicyApplied(Traffic.TrafficPolicy policy)
    {
        PolicyRevision.WithLabels(policy.Model).Set(policy.Revision);
        var versions = policy.Weights.Select(w => w.Version).ToArray();
        if (_weighted.TryGetValue(policy.Model, out var previous))
        {
            foreach (var gone in previous.Except(versions, StringComparer.Ordinal))
            {
                PolicyWeight.RemoveLabelled(policy.Model, gone);
            }
        }

        _weighted[policy.Model] = versions;
        foreach (var w in policy.Weights)
        {
            PolicyWeight.WithLabels(policy.Model, w.Version).Set(w.Weight);
        }
    }

    public void RolledBack(string model, string version) => Rollbacks.WithLabels(model, version).Inc();

    public void ExcusedDeadline(string model, string version) => RollbackExcused.WithLabels(model, version).Inc();

    public void WorkerHealth(string worker, bool healthy) => WorkerHealthy.WithLabels(worker).Set(healthy ? 1 : 0);

    /// <summary>Removes the series of a worker discovery no longer finds (an address its DNS name stopped resolving to).</summary>
    public void WorkerGone(string worker) => WorkerHealthy.RemoveLabelled(worker);
}
