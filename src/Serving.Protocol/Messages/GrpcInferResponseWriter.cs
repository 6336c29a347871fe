using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Serving.Protocol.Inference;
using Serving.Protocol.Tensors;
using Serving.Protocol.Wire;

namespace Serving.Protocol.Messages;

/// <summary>
/// Writes a response as a <see cref="ModelInferResponse"/> with raw output contents straight from the
/// <see cref="InferenceResponse"/>: the same bytes the generated serializer writes for
/// <see cref="GrpcInferCodec.Encode"/>'s message, without building it and without copying the outputs first.
/// </summary>
/// <remarks>The outputs' memory must stay valid until <see cref="Write"/> returns.</remarks>
public static class GrpcInferResponseWriter
{
    // ModelInferResponse's fields (protos/inference.proto).
    private static readonly byte ModelNameTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.ModelNameFieldNumber);
    private static readonly byte ModelVersionTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.ModelVersionFieldNumber);
    private static readonly byte IdTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.IdFieldNumber);
    private static readonly byte ParametersTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.ParametersFieldNumber);
    private static readonly byte OutputsTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.OutputsFieldNumber);
    private static readonly byte RawOutputTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.RawOutputContentsFieldNumber);

    // InferOutputTensor's.
    private static readonly byte NameTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.Types.InferOutputTensor.NameFieldNumber);
    private static readonly byte DatatypeTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.Types.InferOutputTensor.DatatypeFieldNumber);
    private static readonly byte ShapeTag = ProtoWire.LengthDelimitedTag(ModelInferResponse.Types.InferOutputTensor.ShapeFieldNumber);

    // A map entry's key and value, and InferParameter's oneof.
    private static readonly byte EntryKeyTag = ProtoWire.LengthDelimitedTag(1);
    private static readonly byte EntryValueTag = ProtoWire.LengthDelimitedTag(2);
    private static readonly byte BoolTag = ProtoWire.VarintTag(InferParameter.BoolParamFieldNumber);
    private static readonly byte Int64Tag = ProtoWire.VarintTag(InferParameter.Int64ParamFieldNumber);
    private static readonly byte StringTag = ProtoWire.LengthDelimitedTag(InferParameter.StringParamFieldNumber);
    private static readonly byte DoubleTag = ProtoWire.Fixed64Tag(InferParameter.DoubleParamFieldNumber);
    private static readonly byte UInt64Tag = ProtoWire.VarintTag(InferParameter.Uint64ParamFieldNumber);

    // Room for a tag and a length, or a tag and a fixed64, written into a span of this size.
    private const int HeaderBytes = 1 + ProtoWire.MaxVarintBytes;

    /// <summary>The message's size on the wire.</summary>
    public static int Size(InferenceResponse response)
    {
        var size = ProtoWire.StringFieldSize(response.ModelName) + ProtoWire.StringFieldSize(response.ModelVersion) + ProtoWire.StringFieldSize(response.Id);
        foreach (var (key, value) in response.Parameters)
        {
            size = checked(size + 1 + ProtoWire.DelimitedSize(EntrySize(key, value)));
        }

        foreach (var output in response.Outputs)
        {
            size = checked(size + 1 + ProtoWire.DelimitedSize(TensorSize(output)) + 1 + ProtoWire.DelimitedSize(RawContentsCodec.EncodedLength(output)));
        }

        return size;
    }

    /// <summary>Messages up to this size are written into one span of the destination, advanced once.</summary>
    private const int OneSpanBytes = 4096;

    [ThreadStatic]
    private static MemoryWriter? t_oneSpan;

    /// <summary>Writes the message (<see cref="Size"/> bytes): the outputs' bytes are copied once, into <paramref name="destination"/>.</summary>
    public static void Write(InferenceResponse response, IBufferWriter<byte> destination) => Write(response, destination, Size(response));

    /// <summary>
    /// Writes the message, whose <see cref="Size"/> the caller already has. A small one (most answers) goes into one
    /// span that the destination is advanced past once: a response pipe takes a lock on every advance, and a message
    /// is a dozen fields.
    /// </summary>
    public static void Write(InferenceResponse response, IBufferWriter<byte> destination, int size)
    {
        if (size > OneSpanBytes)
        {
            WriteFields(response, destination);
            return;
        }

        var writer = t_oneSpan ??= new MemoryWriter();
        writer.Start(destination.GetMemory(size));
        int written;
        try
        {
            WriteFields(response, writer);
        }
        finally
        {
            written = writer.End();
        }

        if (written != size)
        {
            throw new InvalidOperationException($"wrote {written} bytes of a {size}-byte message");
        }

        destination.Advance(written);
    }

    private static void WriteFields(InferenceResponse response, IBufferWriter<byte> destination)
    {
        WriteString(destination, ModelNameTag, response.ModelName);
        WriteString(destination, ModelVersionTag, response.ModelVersion);
        WriteString(destination, IdTag, response.Id);
        foreach (var (key, value) in response.Parameters)
        {
            WriteEntry(destination, key, value);
        }

        foreach (var output in response.Outputs)
        {
            WriteTensor(destination, output);
        }

        foreach (var output in response.Outputs)
        {
            WriteHeader(destination, RawOutputTag, RawContentsCodec.EncodedLength(output));
            WriteRaw(destination, output);
        }
    }

    private static int TensorSize(InferTensor output)
    {
        var size = ProtoWire.StringFieldSize(output.Name) + ProtoWire.StringFieldSize(output.DataType.ToWire());
        var shape = ShapeSize(output.Shape);
        return shape > 0 ? size + 1 + ProtoWire.DelimitedSize(shape) : size;
    }

    private static int ShapeSize(long[] shape)
    {
        var size = 0;
        foreach (var dim in shape)
        {
            size += ProtoWire.VarintSize((ulong)dim);
        }

        return size;
    }

    // A map entry: the key (left out when empty, as proto3 leaves out a default) and the InferParameter, always there.
    private static int EntrySize(string key, object value) =>
        (key.Length > 0 ? ProtoWire.StringFieldSize(key) : 0) + 1 + ProtoWire.DelimitedSize(ParameterSize(value));

    // As GrpcInferCodec.ToParameter: a oneof member is written even when it holds its default.
    private static int ParameterSize(object value) => value switch
    {
        bool => 2,
        long l => 1 + ProtoWire.VarintSize((ulong)l),
        int i => 1 + ProtoWire.VarintSize((ulong)(long)i),
        ulong u => 1 + ProtoWire.VarintSize(u),
        double => 1 + sizeof(double),
        _ => 1 + ProtoWire.DelimitedSize(Encoding.UTF8.GetByteCount(Text(value))),
    };

    private static string Text(object value) => value.ToString() ?? string.Empty;

    private static void WriteTensor(IBufferWriter<byte> destination, InferTensor output)
    {
        WriteHeader(destination, OutputsTag, TensorSize(output));
        WriteString(destination, NameTag, output.Name);
        WriteString(destination, DatatypeTag, output.DataType.ToWire());
        var shape = ShapeSize(output.Shape);
        if (shape == 0)
        {
            return;
        }

        var span = destination.GetSpan(HeaderBytes + shape);
        var at = ProtoWire.WriteDelimitedHeader(span, 0, ShapeTag, shape);
        foreach (var dim in output.Shape)
        {
            at = ProtoWire.WriteVarint(span, at, (ulong)dim);
        }

        destination.Advance(at);
    }

    private static void WriteEntry(IBufferWriter<byte> destination, string key, object value)
    {
        WriteHeader(destination, ParametersTag, EntrySize(key, value));
        if (key.Length > 0)
        {
            WriteString(destination, EntryKeyTag, key);
        }

        WriteHeader(destination, EntryValueTag, ParameterSize(value));
        switch (value)
        {
            case bool b: WriteVarintField(destination, BoolTag, b ? 1UL : 0UL); break;
            case long l: WriteVarintField(destination, Int64Tag, (ulong)l); break;
            case int i: WriteVarintField(destination, Int64Tag, (ulong)(long)i); break;
            case ulong u: WriteVarintField(destination, UInt64Tag, u); break;
            case double d:
                var span = destination.GetSpan(HeaderBytes);
                span[0] = DoubleTag;
                destination.Advance(ProtoWire.WriteDouble(span, 1, d));
                break;
            default:
                // An empty string is written too: it is a oneof member.
                var text = Text(value);
                WriteHeader(destination, StringTag, Encoding.UTF8.GetByteCount(text));
                WriteUtf8(destination, text);
                break;
        }
    }

    private static void WriteVarintField(IBufferWriter<byte> destination, byte tag, ulong value)
    {
        var span = destination.GetSpan(HeaderBytes);
        span[0] = tag;
        destination.Advance(ProtoWire.WriteVarint(span, 1, value));
    }

    private static void WriteHeader(IBufferWriter<byte> destination, byte tag, int length)
    {
        var span = destination.GetSpan(HeaderBytes);
        destination.Advance(ProtoWire.WriteDelimitedHeader(span, 0, tag, length));
    }

    // A string field, left out when empty (proto3).
    private static void WriteString(IBufferWriter<byte> destination, byte tag, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        WriteHeader(destination, tag, Encoding.UTF8.GetByteCount(value));
        WriteUtf8(destination, value);
    }

    private static void WriteUtf8(IBufferWriter<byte> destination, string value)
    {
        var span = destination.GetSpan(Encoding.UTF8.GetByteCount(value));
        destination.Advance(Encoding.UTF8.GetBytes(value, span));
    }

    // The raw form (RawContentsCodec.Write), in pieces: a large output is not first copied into one span of its own.
    private static void WriteRaw(IBufferWriter<byte> destination, InferTensor output)
    {
        if (output.DataType != DataType.Bytes)
        {
            destination.Write(output.Data.Span);
            return;
        }

        foreach (var element in output.Elements!)
        {
            var span = destination.GetSpan(sizeof(int));
            BinaryPrimitives.WriteInt32LittleEndian(span, element.Length);
            destination.Advance(sizeof(int));
            destination.Write(element.Span);
        }
    }

    /// <summary>
    /// Writes into one block of memory. The fields ask for room for a tag and the longest varint; near the end of an
    /// exactly sized block less is left, so it hands out what is left, and a write past the end fails on the span.
    /// </summary>
    private sealed class MemoryWriter : IBufferWriter<byte>
    {
        private Memory<byte> _memory;
        private int _written;

        public void Start(Memory<byte> memory)
        {
            _memory = memory;
            _written = 0;
        }

        /// <summary>Lets go of the block (it belongs to the destination); returns the bytes written.</summary>
        public int End()
        {
            _memory = default;
            return _written;
        }

        public void Advance(int count)
        {
            if ((uint)count > (uint)(_memory.Length - _written))
            {
                throw new InvalidOperationException("advanced past the end of the message's block");
            }

            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _memory[_written..];

        public Span<byte> GetSpan(int sizeHint = 0) => _memory.Span[_written..];
    }
}
