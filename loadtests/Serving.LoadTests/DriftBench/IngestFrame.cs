using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.PredictionLogs;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// A batch serialized once, sent many times: its bytes without a sequence number, to which the sequence
/// (field 1, a varint) is appended on the wire. Protobuf parsers accept fields in any order, so the sidecar
/// reads a normal <see cref="PredictionLogBatch"/>, and the client spends no CPU serializing records.
/// </summary>
/// <param name="Body">A serialized <see cref="PredictionLogBatch"/> whose sequence is 0 (absent).</param>
/// <param name="Sequence">The sequence number this send carries.</param>
/// <param name="Records">Records in the batch.</param>
internal sealed record IngestFrame(byte[] Body, ulong Sequence, int Records)
{
    private const byte SequenceTag = (PredictionLogBatch.SequenceFieldNumber << 3) | 0; // wire type 0: varint

    /// <summary>The Ingest method with frames as requests.</summary>
    public static readonly Method<IngestFrame, IngestAck> Method = new(
        MethodType.DuplexStreaming,
        PredictionLogService.Descriptor.FullName,
        "Ingest",
        Marshallers.Create<IngestFrame>(Serialize, _ => throw new NotSupportedException("frames are only sent")),
        Marshallers.Create(ack => ack.ToByteArray(), IngestAck.Parser.ParseFrom));

    /// <summary>The bytes on the wire (without gRPC's 5-byte prefix).</summary>
    public int Length => Body.Length + 1 + VarintLength(Sequence);

    /// <summary>Writes the frame's bytes into <paramref name="destination"/> (at least <see cref="Length"/> long).</summary>
    public void WriteTo(Span<byte> destination)
    {
        Body.CopyTo(destination);
        destination[Body.Length] = SequenceTag;
        var value = Sequence;
        var i = Body.Length + 1;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i] = (byte)value;
    }

    private static void Serialize(IngestFrame frame, SerializationContext context)
    {
        var length = frame.Length;
        context.SetPayloadLength(length);
        var writer = context.GetBufferWriter();
        frame.WriteTo(writer.GetSpan(length));
        writer.Advance(length);
        context.Complete();
    }

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }
}
