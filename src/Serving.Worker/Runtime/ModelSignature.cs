namespace Serving.Worker.Runtime;

/// <summary>What a model version takes and returns, checked against the ONNX graph at load.</summary>
internal sealed class ModelSignature(TensorSignature[] inputs, TensorSignature[] outputs, int maxBatchSize)
{
    public TensorSignature[] Inputs { get; } = inputs;

    public TensorSignature[] Outputs { get; } = outputs;

    /// <summary>0 when the model has no batch dimension.</summary>
    public int MaxBatchSize { get; } = maxBatchSize;

    public string[] InputNames { get; } = inputs.Select(i => i.Name).ToArray();

    public string[] OutputNames { get; } = outputs.Select(o => o.Name).ToArray();

    public int IndexOfInput(string name) => Array.IndexOf(InputNames, name);

    public int IndexOfOutput(string name) => Array.IndexOf(OutputNames, name);
}
