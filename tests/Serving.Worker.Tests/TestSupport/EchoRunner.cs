using Serving.Protocol.Tensors;
using Serving.Worker.Runtime;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>Echoes its input as output "y" and records the rows of every run.</summary>
internal sealed class EchoRunner : IModelRunner
{
    private readonly List<int> _runs = [];

    public int[] Runs
    {
        get
        {
            lock (_runs)
            {
                return [.. _runs];
            }
        }
    }

    public ModelSignature Signature { get; } = new(
        [new TensorSignature("x", DataType.FP32, [-1, 1])], [new TensorSignature("y", DataType.FP32, [-1, 1])], 8);

    public List<InferTensor> Run(InferTensor[] inputs, string[] outputNames)
    {
        var x = inputs[0];
        lock (_runs)
        {
            _runs.Add(checked((int)x.Shape[0]));
        }

        return [InferTensor.Fixed("y", DataType.FP32, x.Shape, x.Data.ToArray())];
    }
}
