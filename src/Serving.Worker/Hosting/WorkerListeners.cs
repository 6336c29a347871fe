using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Serving.Worker.Hosting;

/// <summary>The worker's three listeners; after start they hold the bound ports (port 0 resolved).</summary>
public sealed class WorkerListeners
{
    internal ListenOptions? Rest { get; set; }

    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Metrics { get; set; }

    /// <summary>The REST port.</summary>
    public int RestPort => Rest?.IPEndPoint?.Port ?? 0;

    /// <summary>The gRPC port.</summary>
    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The metrics port.</summary>
    public int MetricsPort => Metrics?.IPEndPoint?.Port ?? 0;
}
