namespace Serving.Gateway.Configuration;

/// <summary>How the gateway forwards REST calls to a worker (<c>Serving:Gateway:RestToWorkers</c>).</summary>
public enum WorkerRestProtocol
{
    /// <summary>
    /// HTTP/2 to the worker's gRPC (h2c) address, which serves the same REST routes: concurrent calls share a few
    /// multiplexed connections, so each costs fewer socket reads, writes and wake-ups.
    /// </summary>
    Http2,

    /// <summary>HTTP/1.1 to the worker's REST address: one pooled connection per call in flight.</summary>
    Http11,
}
