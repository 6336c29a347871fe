using System.Runtime.InteropServices;
using Serving.Protocol.Tensors;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>Tensors written out by hand in runner tests.</summary>
internal static class TestTensors
{
    /// <summary>An FP32 tensor of <paramref name="values"/>, row-major.</summary>
    public static InferTensor Floats(string name, long[] shape, params float[] values) =>
        InferTensor.Fixed(name, DataType.FP32, shape, MemoryMarshal.AsBytes<float>(values).ToArray());
}
