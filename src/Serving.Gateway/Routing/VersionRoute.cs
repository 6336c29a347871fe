using Serving.Gateway.Discovery;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Routing;

/// <summary>A model version the gateway knows of, and the workers that report it ready.</summary>
internal sealed class VersionRoute(string model, string version, long number, WorkerEndpoint[] workers, ModelMetadataResponse? metadata)
{
    public string Model { get; } = model;

    public string Version { get; } = version;

    /// <summary>The version as a number, for ordering.</summary>
    public long Number { get; } = number;

    /// <summary>Workers whose last index said this version is READY (their health is checked per request).</summary>
    public WorkerEndpoint[] Workers { get; } = workers;

    /// <summary>The version's signature as a worker described it; null until fetched.</summary>
    public ModelMetadataResponse? Metadata { get; } = metadata;

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
