using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;

namespace Serving.Gateway.Tests.TestSupport;

/// <summary>Builds gRPC request bodies byte by byte: the 5-byte message header and hand-written protobuf fields.</summary>
internal static class Frames
{
    public static byte[] Frame(byte[] message, byte compressed = 0)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary><paramref name="message"/> compressed as grpc-encoding <paramref name="encoding"/> says: gzip, or deflate (zlib's format).</summary>
    public static byte[] Compress(byte[] message, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding == "gzip"
            ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)
            : new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(message);
        }

        return output.ToArray();
    }

    /// <summary>A length-delimited field (wire type 2).</summary>
    public static byte[] StringField(int number, string value) => StringField(number, System.Text.Encoding.UTF8.GetBytes(value));

    public static byte[] StringField(int number, byte[] value)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
        output.Flush();
        return stream.ToArray();
    }

    public static byte[] VarintField(int number, ulong value)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.Varint);
        output.WriteUInt64(value);
        output.Flush();
        return stream.ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>The same bytes as a sequence of segments of <paramref name="segmentLength"/> bytes (as a pipe may hand them over).</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentLength) => Segmented(bytes, () => segmentLength);

    /// <summary>The same bytes as a sequence of segments as long as <paramref name="nextLength"/> says, one after another (0: an empty segment).</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, Func<int> nextLength)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null, last = null;
        for (var i = 0; i < bytes.Length;)
        {
            var chunk = bytes.AsMemory(i, Math.Min(nextLength(), bytes.Length - i));
            i += chunk.Length;
            if (first is null)
            {
                first = last = new Segment(chunk, 0);
            }
            else
            {
                last = last!.Append(chunk);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    /// <summary>The text a parsed field's range points at in <paramref name="body"/>, or null when the field is absent.</summary>
    public static string? Text(byte[] body, Serving.Gateway.Routing.FieldRange? range) =>
        range is { } r ? System.Text.Encoding.UTF8.GetString(body, (int)r.Offset, r.Length) : null;
}
