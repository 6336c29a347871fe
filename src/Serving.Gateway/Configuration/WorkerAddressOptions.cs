namespace Serving.Gateway.Configuration;

/// <summary>One worker destination (<c>Serving:Gateway:Workers:N</c>): its REST and gRPC base addresses.</summary>
public sealed class WorkerAddressOptions
{
    /// <summary>The worker's REST base address, e.g. <c>http://10.0.0.5:8080</c>.</summary>
    public string? Rest { get; set; }

    /// <summary>The worker's gRPC (h2c) base address, e.g. <c>http://10.0.0.5:8081</c>.</summary>
    public string? Grpc { get; set; }

    /// <summary>True resolves the host name on every discovery round and uses every address it has (a Kubernetes headless Service).</summary>
    public bool ResolveDns { get; set; }
}
