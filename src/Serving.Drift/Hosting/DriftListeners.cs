using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Serving.Drift.Hosting;

/// <summary>The drift monitor's two listeners; after start they hold the bound ports (port 0 resolved).</summary>
public sealed class DriftListeners
{
    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Rest { get; set; }

    /// <summary>The gRPC ingest port (HTTP/2 cleartext).</summary>
    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The REST port: report, health and metrics.</summary>
    public int RestPort => Rest?.IPEndPoint?.Port ?? 0;
}
