namespace Serving.Gateway.Discovery;

/// <summary>
/// One line of a worker's repository index: a model version and its state (READY, LOADING, UNAVAILABLE, UNLOADING).
/// <paramref name="NotReadyBecause"/> is, for a version that is not ready, its state and the worker's reason
/// (<c>UNAVAILABLE: model 'm' version 1: ONNX Runtime could not load model.onnx: …</c>).
/// </summary>
internal readonly record struct WorkerIndexEntry(string Model, string Version, bool Ready, string? NotReadyBecause = null);
