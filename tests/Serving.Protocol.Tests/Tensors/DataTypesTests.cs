using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Tensors;

public sealed class DataTypesTests
{
    [Theory]
    [InlineData(DataType.Bool, "BOOL", 1)]
    [InlineData(DataType.UInt8, "UINT8", 1)]
    [InlineData(DataType.UInt16, "UINT16", 2)]
    [InlineData(DataType.UInt32, "UINT32", 4)]
    [InlineData(DataType.UInt64, "UINT64", 8)]
    [InlineData(DataType.Int8, "INT8", 1)]
    [InlineData(DataType.Int16, "INT16", 2)]
    [InlineData(DataType.Int32, "INT32", 4)]
    [InlineData(DataType.Int64, "INT64", 8)]
    [InlineData(DataType.FP16, "FP16", 2)]
    [InlineData(DataType.BF16, "BF16", 2)]
    [InlineData(DataType.FP32, "FP32", 4)]
    [InlineData(DataType.FP64, "FP64", 8)]
    [InlineData(DataType.Bytes, "BYTES", 0)]
    public void WireNameAndElementSize_EachType_MatchProtocol(DataType type, string wire, int size)
    {
        Assert.Equal(wire, type.ToWire());
        Assert.True(DataTypes.TryParse(wire, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(size, type.ElementSize());
    }

    [Fact]
    public void TryParse_EveryKnownType_RoundTripsThroughWireName()
    {
        var known = Enum.GetValues<DataType>().Where(t => t != DataType.Unknown).ToArray();

        Assert.Equal(known, TensorSamples.AllDataTypes.Order().ToArray());
        Assert.All(known, t => Assert.True(DataTypes.TryParse(t.ToWire(), out var p) && p == t, t.ToString()));
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("Float32")]
    [InlineData("STRING")]
    [InlineData("")]
    [InlineData(" FP32")]
    [InlineData(null)]
    public void TryParse_NotAProtocolName_ReturnsFalseAndUnknown(string? name)
    {
        Assert.False(DataTypes.TryParse(name, out var type));
        Assert.Equal(DataType.Unknown, type);
    }
}
