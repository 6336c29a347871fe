using Prometheus;
using Serving.Worker.Models;

namespace Serving.Worker.Metrics;

/// <summary>The worker's Prometheus series (see docs/metrics.md).</summary>
internal sealed class WorkerMetrics
{
    private static readonly Counter Requests = Prometheus.Metrics.CreateCounter(
        "serving_inference_requests_total", "Infer requests by model, version, protocol and outcome code.",
        new CounterConfiguration { LabelNames = ["model", "version", "protocol", "code"] });

    private static readonly Counter ShadowRequests = Prometheus.Metrics.CreateCounter(
        "serving_inference_shadow_requests_total", "Infer requests that were a gateway's shadow copies, among serving_inference_requests_total.",
        new CounterConfiguration { LabelNames = ["model", "version", "code"] });

    private static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram(
        "serving_inference_request_duration_seconds", "Infer request latency inside the worker (decode, run, encode).",
        new HistogramConfiguration
        {
            LabelNames = ["model", "version", "protocol"],
            Buckets = Histogram.ExponentialBuckets(0.00005, 2, 18),
        });

    private static readonly Gauge VersionState = Prometheus.Metrics.CreateGauge(
        "serving_model_version_state", "1 for the state a model version is in (LOADING, READY, UNAVAILABLE, UNLOADING), 0 for the others.",
        new GaugeConfiguration { LabelNames = ["model", "version", "state"] });

    /// <summary>The model label of a request whose model is not in the repository (or could not be read): one series for all.</summary>
    public const string UnknownModel = "_unknown";

    /// <summary>The model label of a request whose model name is not a valid name (a path-like one, say).</summary>
    public const string InvalidModel = "_invalid";

    // The successful series of each (model, version, protocol), resolved once: WithLabels allocates its label array per call.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Model, string Version, string Protocol), (Counter.Child Ok, Histogram.Child Duration)> _ok = new();

    public void Observe(string model, string version, string protocol, string code, double seconds)
    {
        if (code == "ok")
        {
            var series = _ok.GetOrAdd(
                (model, version, protocol),
                static key => (Requests.WithLabels(key.Model, key.Version, key.Protocol, "ok"), Duration.WithLabels(key.Model, key.Version, key.Protocol)));
            series.Ok.Inc();
            series.Duration.Observe(seconds);
            return;
        }

        Requests.WithLabels(model, version, protocol, code).Inc();
    }

    /// <summary>Counts a request that was a gateway's shadow copy (also counted by <see cref="Observe"/>).</summary>
    public static void ObserveShadow(string model, string version, string code) => ShadowRequests.WithLabels(model, version, code).Inc();

    /// <summary>Sets the version's state series; null removes it.</summary>
    public void SetVersionState(string model, string version, ModelVersionState? state)
    {
        foreach (var s in Enum.GetValues<ModelVersionState>())
        {
            var name = s.ToString().ToUpperInvariant();
            if (state is null)
            {
                VersionState.RemoveLabelled(model, version, name);
            }
            else
            {
                VersionState.WithLabels(model, version, name).Set(s == state ? 1 : 0);
            }
        }
    }
}
