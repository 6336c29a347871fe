using Serving.Gateway.Discovery;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Routing;

/// <summary>A model version the gateway knows of, and the workers that report it ready.</summary>
internal sealed class VersionRoute(string model, string version, long number, WorkerEndpoint[] workers, ModelMetadataResponse? metadata, string? notServedBecause = null)
{
    public string Model { get; } = model;

    public string Version { get; } = version;

    /// <summary>The version as a number, for ordering.</summary>
    public long Number { get; } = number;

    /// <summary>Workers whose last index said this version is READY (their health is checked per request).</summary>
    public WorkerEndpoint[] Workers { get; } = workers;

    /// <summary>The version's signature as a worker described it; null until fetched.</summary>
    public ModelMetadataResponse? Metadata { get; } = metadata;

    /// <summary>
    /// Why no worker serves this version, as a worker's index said it (its state and reason: a failed load, a load
    /// still running, an unload); null when a worker lists it READY, or none said why.
    /// </summary>
    public string? NotServedBecause { get; } = workers.Length == 0 ? notServedBecause : null;

    /// <summary>
    /// What a caller is told when this version can't take a call: <c>model 'm' version 1 has no ready worker{what}</c>,
    /// and the workers' reason when they gave one.
    /// </summary>
    public string NoReadyWorkerMessage(string what = "") => NotServedBecause is { } why
        ? $"model '{Model}' version {Version} has no ready worker{what}: {why}"
        : $"model '{Model}' version {Version} has no ready worker{what}";

    /// <summary>True when at least one worker that has this version ready is healthy.</summary>
    public bool IsReady
    {
        get
        {
            foreach (var w in Workers)
            {
                if (w.IsHealthy)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
