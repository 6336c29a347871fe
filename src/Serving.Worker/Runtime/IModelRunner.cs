using Serving.Protocol.Tensors;

namespace Serving.Worker.Runtime;

/// <summary>Runs a model on tensors in signature order (ONNX Runtime in production, fakes in unit tests).</summary>
internal interface IModelRunner
{
    ModelSignature Signature { get; }

    List<InferTensor> Run(InferTensor[] inputs, string[] outputNames);
}
