using Serving.Protocol.Tensors;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// A finished prediction, as the log sink sees it. The tensors' memory is valid only during
/// <see cref="IPredictionLogSink.Record"/>: a sink copies what it keeps. <paramref name="LoadedFrom"/> identifies the
/// files of the loaded version that ran it (its fingerprint): another value means the version was reloaded.
/// </summary>
internal readonly record struct PredictionContext(
    string Model, string Version, string? RequestId, InferTensor[] Inputs, IReadOnlyList<InferTensor> Outputs, double LatencyMs, string? Arm,
    string? LoadedFrom = null);
