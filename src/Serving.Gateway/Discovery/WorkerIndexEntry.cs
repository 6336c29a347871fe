namespace Serving.Gateway.Discovery;

/// <summary>One line of a worker's repository index: a model version and its state (READY, LOADING, UNAVAILABLE, UNLOADING).</summary>
internal readonly record struct WorkerIndexEntry(string Model, string Version, bool Ready);
