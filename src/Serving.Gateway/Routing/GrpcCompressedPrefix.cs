using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace Serving.Gateway.Routing;

/// <summary>
/// A compressed gRPC request (compressed flag 1, <c>grpc-encoding: gzip</c> or <c>deflate</c>, as Triton's and gRPC's
/// clients send when asked to compress): inflates just the start of the message, enough for <c>model_name</c> and
/// <c>model_version</c>, into an uncompressed frame that <see cref="GrpcLeadingFields.Parse"/> reads. The bytes
/// forwarded to the worker stay as the caller sent them; the worker inflates the whole message.
/// </summary>
internal static class GrpcCompressedPrefix
{
    /// <summary>The <c>grpc-accept-encoding</c> answered with a message in another encoding (what the worker takes too).</summary>
    public const string AcceptEncoding = "identity,gzip,deflate";

    /// <summary>Inflated bytes enough for both leading fields at their longest and the next field's tag.</summary>
    public const int InflatedBytes = (2 * (GrpcLeadingFields.MaxFieldBytes + 8)) + 16;

    /// <summary>The most compressed bytes looked at: gzip's header and the first block's code tables come well before this.</summary>
    private const int MaxCompressedBytes = 64 * 1024;

    /// <summary>
    /// The outcome: an uncompressed frame to parse, an error, or a need for more of the body; <paramref name="MessageLength"/>
    /// is the compressed message's length from its header (what travels, and what the gateway's limit applies to).
    /// </summary>
    public readonly record struct Result(byte[]? Frame, string? Error, bool NeedMoreData, uint MessageLength = 0, bool UnsupportedEncoding = false);

    /// <summary>Inflates the start of the message in <paramref name="buffer"/> (which starts with its 5-byte header).</summary>
    public static Result Inflate(ReadOnlySequence<byte> buffer, string? encoding, bool isCompleted)
    {
        // gRPC's "deflate" is zlib's format (RFC 1950), as grpc-dotnet, grpc-core and Triton's clients write it.
        var zlib = string.Equals(encoding, "deflate", StringComparison.OrdinalIgnoreCase);
        if (encoding is null or "")
        {
            return new(null, "the message is compressed but the request has no grpc-encoding header", false);
        }

        if (!zlib && !string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, $"grpc-encoding '{Printable(encoding)}' is not supported: use gzip or deflate, or send the message uncompressed", false, UnsupportedEncoding: true);
        }

        Span<byte> header = stackalloc byte[GrpcLeadingFields.FrameHeaderLength];
        buffer.Slice(0, GrpcLeadingFields.FrameHeaderLength).CopyTo(header);
        var messageLength = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var available = Math.Min(buffer.Length - GrpcLeadingFields.FrameHeaderLength, Math.Min(messageLength, MaxCompressedBytes));
        var whole = available == messageLength;
        var compressed = buffer.Slice(GrpcLeadingFields.FrameHeaderLength, available).ToArray();

        var frame = new byte[GrpcLeadingFields.FrameHeaderLength + InflatedBytes];
        var produced = 0;
        try
        {
            var source = new MemoryStream(compressed, writable: false);
            using Stream inflater = zlib ? new ZLibStream(source, CompressionMode.Decompress) : new GZipStream(source, CompressionMode.Decompress);
            int read;
            while (produced < InflatedBytes && (read = inflater.Read(frame, GrpcLeadingFields.FrameHeaderLength + produced, InflatedBytes - produced)) > 0)
            {
                produced += read;
            }
        }
        catch (Exception e) when (Serving.Hosting.Http.CompressedData.IsNotValid(e))
        {
            // Also what a stream cut short looks like: only an error once all of the message was there.
            if (whole || isCompleted)
            {
                return new(null, zlib ? "the message is not valid deflate (zlib) data" : "the message is not valid gzip", false);
            }

            return new(null, null, true);
        }

        if (produced < InflatedBytes && !whole)
        {
            return isCompleted ? new(null, "malformed protobuf: the compressed message is truncated", false) : new(null, null, true);
        }

        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)produced);
        return new(frame[..(GrpcLeadingFields.FrameHeaderLength + produced)], null, false, messageLength);
    }

    private static string Printable(string text) => text.Length > 32 ? text[..32] + "…" : text;
}
