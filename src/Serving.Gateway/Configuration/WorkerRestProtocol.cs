namespace Serving.Gateway.Configuration;

/// <summary>How the gateway forwards REST calls to a worker (<c>Serving:Gateway:RestToWorkers</c>).</summary>
public enum WorkerRestProtocol
{
    /// <summary>
    /// A call that finds nothing in flight to its worker goes over HTTP/1.1 (the lowest latency for a lone call); calls
    /// that overlap go over HTTP/2 (the least CPU per call under concurrency).
    /// </summary>
    Auto,

    /// <summary>
    /// HTTP/2 to the worker's gRPC (h2c) address, which serves the same REST routes: concurrent calls share a few
    /// multiplexed connections, so each costs fewer socket reads, writes and wake-ups.
    /// </summary>
    Http2,

    /// <summary>HTTP/1.1 to the worker's REST address: one pooled connection per call in flight.</summary>
    Http11,
}
