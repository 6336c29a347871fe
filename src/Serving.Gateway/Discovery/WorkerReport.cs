namespace Serving.Gateway.Discovery;

/// <summary>What the last successful discovery probe of a worker said.</summary>
internal sealed record WorkerReport(WorkerEndpoint Worker, bool Ready, IReadOnlyList<WorkerIndexEntry> Versions);
