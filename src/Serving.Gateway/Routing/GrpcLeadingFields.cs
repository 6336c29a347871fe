using System.Buffers;
using System.Buffers.Binary;
using Serving.Protocol.Wire;

namespace Serving.Gateway.Routing;

/// <summary>
/// Reads <c>model_name</c> (field 1) and <c>model_version</c> (field 2) of a <c>ModelInferRequest</c>
/// from the start of a gRPC request body (1-byte compressed flag, 4-byte big-endian length, protobuf)
/// without decoding anything else. Every protobuf serializer writes fields in number order, so the
/// scan stops at the first field numbered above 2: a request costs a few dozen bytes of parsing
/// whatever the size of its tensors.
/// </summary>
internal static class GrpcLeadingFields
{
    /// <summary>The gRPC message header: compressed flag + length.</summary>
    public const int FrameHeaderLength = 5;

    /// <summary>The longest name or version accepted (bytes); names are at most 128 characters.</summary>
    public const int MaxFieldBytes = 256;

    /// <summary>Parses <paramref name="buffer"/>; <paramref name="isCompleted"/> says no more bytes will come.</summary>
    public static LeadingFields Parse(ReadOnlySequence<byte> buffer, bool isCompleted)
    {
        if (buffer.Length < FrameHeaderLength)
        {
            return isCompleted
                ? LeadingFields.Invalid(buffer.IsEmpty ? "the request has no message" : "the request ended inside the 5-byte gRPC message header")
                : LeadingFields.NeedMoreData;
        }

        Span<byte> header = stackalloc byte[FrameHeaderLength];
        buffer.Slice(0, FrameHeaderLength).CopyTo(header);
        var flag = header[0];
        if (flag == 1)
        {
            // The endpoint inflates a compressed message's start (GrpcCompressedPrefix) and parses that instead.
            return LeadingFields.Invalid("the message is compressed: inflate its start before reading its fields");
        }

        if (flag != 0)
        {
            return LeadingFields.Invalid($"the gRPC message header is malformed (compressed flag {flag})");
        }

        var messageLength = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var end = FrameHeaderLength + (long)messageLength;

        // Read this message only: on a stream (ModelStreamInfer) the next message's bytes follow it. Once all of it
        // is here, a field cut short is malformed, whether or not the body goes on.
        isCompleted |= buffer.Length >= end;
        var reader = new SequenceReader<byte>(buffer.Slice(0, Math.Min(buffer.Length, end)));
        reader.Advance(FrameHeaderLength);
        var fields = new LeadingFields(LeadingFieldsStatus.Ok, null, messageLength);
        while (reader.Consumed < end)
        {
            if (!ProtoWire.TryReadVarint(ref reader, out var tag, out var malformed))
            {
                return malformed ? LeadingFields.Invalid("malformed protobuf: a field tag is not a valid varint") : Truncated(isCompleted);
            }

            var field = tag >> 3;
            var wireType = (int)(tag & 7);
            if (field == 0 || tag > uint.MaxValue)
            {
                return LeadingFields.Invalid("malformed protobuf: invalid field number");
            }

            if (field > 2)
            {
                break;
            }

            if (wireType != 2)
            {
                return LeadingFields.Invalid($"malformed ModelInferRequest: field {field} must be a length-delimited string (wire type {wireType})");
            }

            if (!ProtoWire.TryReadVarint(ref reader, out var length, out malformed))
            {
                return malformed ? LeadingFields.Invalid("malformed protobuf: a length is not a valid varint") : Truncated(isCompleted);
            }

            if (length > (ulong)(end - reader.Consumed))
            {
                return LeadingFields.Invalid("malformed protobuf: a field runs past the end of the message");
            }

            if (length > MaxFieldBytes)
            {
                return LeadingFields.Invalid(field == 1 ? "model_name is too long" : "model_version is too long");
            }

            if (reader.Remaining < (long)length)
            {
                return Truncated(isCompleted);
            }

            // Protobuf semantics: the last occurrence of a field wins.
            var range = new FieldRange(reader.Consumed, (int)length);
            fields = field == 1 ? fields with { Name = range } : fields with { Version = range };
            reader.Advance((long)length);
        }

        // A body that ended early with no name in it: say so, rather than that the name is missing. (With the name
        // whole, the header's length decides: over the limit it is refused as too large without reading on.)
        if (fields.Name is null && isCompleted && buffer.Length < end)
        {
            return LeadingFields.Invalid($"the message is truncated: its header says {messageLength} bytes, the request ended after {buffer.Length - FrameHeaderLength}");
        }

        return fields;
    }

    private static LeadingFields Truncated(bool isCompleted) =>
        isCompleted ? LeadingFields.Invalid("malformed protobuf: the message is truncated") : LeadingFields.NeedMoreData;

}
