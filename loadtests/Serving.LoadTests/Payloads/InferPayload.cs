using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Payloads;

/// <summary>The request every call sends, before it is encoded for a protocol.</summary>
internal sealed class InferPayload(string model, string modelVersion, IReadOnlyList<InferTensor> inputs)
{
    /// <summary>The model name.</summary>
    public string Model { get; } = model;

    /// <summary>The version asked for; empty lets the server pick.</summary>
    public string ModelVersion { get; } = modelVersion;

    /// <summary>The inputs, in the order they are sent.</summary>
    public IReadOnlyList<InferTensor> Inputs { get; } = inputs;

    /// <summary>Rows per request: the first dimension of the first input (1 for a scalar).</summary>
    public long Rows => Inputs.Count > 0 && Inputs[0].Shape.Length > 0 ? Inputs[0].Shape[0] : 1;

    /// <summary>The bytes of tensor data per request.</summary>
    public long DataBytes => Inputs.Sum(t => (long)RawContentsCodec.EncodedLength(t));
}
