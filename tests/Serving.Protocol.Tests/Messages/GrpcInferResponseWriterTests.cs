using System.Buffers;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Messages;

/// <summary>The hand-written raw response must be byte for byte what the generated serializer writes for <see cref="GrpcInferCodec.Encode"/>'s message.</summary>
public sealed class GrpcInferResponseWriterTests
{
    public static TheoryData<DataType> AllTypes => TensorSamples.All;

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Write_EachType_IsTheGeneratedSerializersBytes(DataType type)
    {
        using var response = new InferenceResponse("m", "1", "req-1", [TensorSamples.Boundary(type, "out")]);

        AssertSameBytes(response);
    }

    [Fact]
    public void Write_SeveralOutputsShapesAndEveryParameterKind_IsTheGeneratedSerializersBytes()
    {
        using var response = new InferenceResponse("mödel", "12", null,
        [
            TensorSamples.Boundary(DataType.FP32, "a"),
            TensorSamples.Boundary(DataType.Bytes, "b"),
            InferTensor.Fixed("scalar", DataType.Int64, [], new byte[8]),
            InferTensor.Fixed("empty", DataType.FP32, [0, 3], ReadOnlyMemory<byte>.Empty),
            InferTensor.Fixed("wide", DataType.UInt8, [1, 300, 70_000], new byte[21_000_000]),
        ]);
        response.Parameters["b"] = false;
        response.Parameters["l"] = long.MinValue;
        response.Parameters["i"] = -5;
        response.Parameters["u"] = ulong.MaxValue;
        response.Parameters["d"] = -0.0;
        response.Parameters["s"] = string.Empty;
        response.Parameters["o"] = DataType.FP32;
        response.Parameters[string.Empty] = "ünïcode";

        AssertSameBytes(response);
    }

    [Fact]
    public void Write_NoOutputsNoId_IsTheGeneratedSerializersBytes()
    {
        using var response = new InferenceResponse("m", string.Empty, string.Empty, []);

        AssertSameBytes(response);
    }

    [Fact]
    public void Write_SmallMessage_OneSpan_AdvancedOnce()
    {
        using var response = new InferenceResponse("tabular", "2", "req-1", [InferTensor.Fixed("probabilities", DataType.FP32, [1, 2], new byte[8])]);

        var written = AssertSameBytes(response);

        Assert.Equal(1, written.Advances);
    }

    [Fact]
    public void Write_LargeMessage_InPieces()
    {
        using var response = new InferenceResponse("m", "1", null, [InferTensor.Fixed("big", DataType.UInt8, [1, 5000], new byte[5000])]);

        var written = AssertSameBytes(response);

        Assert.True(written.Advances > 1, "a message past the one-span limit is written field by field");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Write_SizeThatIsNotTheMessages_Throws_NothingAdvanced(int off)
    {
        using var response = new InferenceResponse("tabular", "2", "req-1", [InferTensor.Fixed("probabilities", DataType.FP32, [1, 2], new byte[8])]);
        var written = new SegmentedWriter();

        Assert.ThrowsAny<Exception>(() => GrpcInferResponseWriter.Write(response, written, GrpcInferResponseWriter.Size(response) + off));

        Assert.Equal(0, written.Advances);
    }

    [Theory]
    [InlineData(false, DataType.FP32, false)]
    [InlineData(true, DataType.FP32, true)]
    [InlineData(false, DataType.FP16, true)]
    [InlineData(false, DataType.BF16, true)]
    public void UsesRaw_WhenRequestedOrAnOutputCanOnlyTravelRaw(bool requested, DataType type, bool expected)
    {
        using var response = new InferenceResponse("m", "1", null, [TensorSamples.Boundary(DataType.Int32, "a"), TensorSamples.Boundary(type, "b")]);

        Assert.Equal(expected, GrpcInferCodec.UsesRaw(response, requested));
    }

    private static SegmentedWriter AssertSameBytes(InferenceResponse response)
    {
        var expected = GrpcInferCodec.Encode(response, raw: true).ToByteArray();

        // A small first segment size makes the writer cross segments, as a pipe does.
        var written = new SegmentedWriter();
        GrpcInferResponseWriter.Write(response, written);

        Assert.Equal(expected.Length, GrpcInferResponseWriter.Size(response));
        Assert.True(expected.AsSpan().SequenceEqual(written.ToArray()), "the written bytes differ from the generated serializer's");
        return written;
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> that hands out spans no larger than asked (at least 16 bytes), like a pipe's segments.</summary>
    private sealed class SegmentedWriter : IBufferWriter<byte>
    {
        private readonly List<byte[]> _segments = [];
        private byte[] _current = [];

        public int Advances { get; private set; }

        public void Advance(int count)
        {
            Advances++;
            Assert.InRange(count, 0, _current.Length);
            _segments.Add(_current[..count]);
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 16)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] ToArray() => [.. _segments.SelectMany(s => s)];
    }
}
