using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Serving.Gateway.Hosting;

/// <summary>The gateway's listeners; after start they hold the bound ports (port 0 resolved). The admin port is 0 while the admin API is off.</summary>
public sealed class GatewayListeners
{
    internal ListenOptions? Rest { get; set; }

    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Metrics { get; set; }

    internal ListenOptions? Admin { get; set; }

    /// <summary>The REST port.</summary>
    public int RestPort => Rest?.IPEndPoint?.Port ?? 0;

    /// <summary>The gRPC port.</summary>
    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The metrics port.</summary>
    public int MetricsPort => Metrics?.IPEndPoint?.Port ?? 0;

    /// <summary>The admin API port; 0 when the admin API is off (no token configured).</summary>
    public int AdminPort => Admin?.IPEndPoint?.Port ?? 0;

    /// <summary>True when the admin API listens.</summary>
    public bool AdminEnabled => Admin is not null;
}
