using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Tensors;

public sealed class InferTensorTests
{
    [Fact]
    public void Fixed_BytesType_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => InferTensor.Fixed("x", DataType.Bytes, [1], new byte[4]));
    }

    [Fact]
    public void As_FP32Tensor_ReadsLittleEndianElements()
    {
        using var tensor = InferTensor.Fixed("x", DataType.FP32, [2], new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0 });

        Assert.Equal([1.0f, -2.0f], tensor.As<float>().ToArray());
        Assert.Equal(2, tensor.ElementCount);
    }

    [Fact]
    public void Strings_Elements_KeptAndDataEmpty()
    {
        using var tensor = TensorSamples.Strings("s", [2], "a", "");

        Assert.Equal(DataType.Bytes, tensor.DataType);
        Assert.Equal(["a", ""], TensorAssert.StringsOf(tensor));
        Assert.True(tensor.Data.IsEmpty);
    }
}
