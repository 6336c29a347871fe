using System.Buffers.Binary;

namespace Serving.LoadTests.Targets;

/// <summary>gRPC's length-prefixed message framing: a compressed flag (0), a big-endian uint32 length, the message.</summary>
internal static class GrpcFraming
{
    /// <summary>The framed form of <paramref name="message"/>.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var framed = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(5));
        return framed;
    }
}
