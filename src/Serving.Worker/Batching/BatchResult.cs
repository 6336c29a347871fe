using Serving.Protocol.Tensors;

namespace Serving.Worker.Batching;

/// <summary>One request's outputs out of a batch; <see cref="Owner"/> keeps the shared batch buffers alive.</summary>
internal readonly record struct BatchResult(List<InferTensor> Outputs, IDisposable? Owner, BatchTimings Timings = default);
