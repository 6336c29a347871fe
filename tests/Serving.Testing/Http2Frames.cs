using System.Buffers.Binary;
using System.Net.Sockets;

namespace Serving.Testing;

/// <summary>
/// One gRPC call over a bare HTTP/2 connection, answered as the frames the server sent: what HttpClient and
/// Grpc.Net.Client hide and stricter clients do not forgive (grpcio, which Triton's and KServe's Python clients use,
/// takes a trailers-only answer only as a HEADERS frame that ends the stream). The request's headers are HPACK
/// literals (no Huffman coding, no table), which every server must take.
/// </summary>
public static class Http2Frames
{
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte GoAway = 0x7;
    public const byte Continuation = 0x9;
    public const byte EndStream = 0x1;
    public const byte EndHeaders = 0x4;
    private const byte Ack = 0x1;

    /// <summary>A frame the server sent on the call's stream.</summary>
    public readonly record struct Frame(byte Type, byte Flags, int Length)
    {
        public override string ToString() =>
            $"{Type switch { Data => "DATA", Headers => "HEADERS", RstStream => "RST_STREAM", Continuation => "CONTINUATION", _ => $"type {Type}" }}"
            + $"{((Type is Data or Headers) && (Flags & EndStream) != 0 ? "+END_STREAM" : "")}({Length})";
    }

    /// <summary>
    /// Sends <paramref name="body"/> (gRPC frames) as a ModelInfer call to 127.0.0.1:<paramref name="port"/> and
    /// returns the frames of the answer, up to the one that ends the stream.
    /// </summary>
    public static async Task<IReadOnlyList<Frame>> CallAsync(int port, byte[] body, string path = "/inference.GRPCInferenceService/ModelInfer")
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        var stream = client.GetStream();

        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        WriteFrame(output, Headers, EndHeaders, 1, HeaderBlock(port, path, ("content-type", "application/grpc"), ("te", "trailers")));
        WriteFrame(output, Data, EndStream, 1, body);
        await stream.WriteAsync(output.ToArray(), timeout.Token);
        return await ReadAnswerAsync(stream, 1, timeout.Token);
    }

    /// <summary>
    /// On one connection to 127.0.0.1:<paramref name="port"/>: a JSON POST of <paramref name="body"/> to
    /// <paramref name="path"/>, answered in full (the connection has served a call, as a client's or a gateway's pooled
    /// one has), then a second POST there whose headers (with <paramref name="body"/>'s length), first 16 bytes of body
    /// and RST_STREAM CANCEL go out together: a caller that went away while its body came in. The connection stays open
    /// until <paramref name="whileOpen"/> completes (closing it would end the call another way).
    /// </summary>
    /// <returns>The frames of the first call's answer.</returns>
    public static async Task<IReadOnlyList<Frame>> CallThenResetMidBodyAsync(int port, string path, byte[] body, Func<Task> whileOpen)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        var stream = client.GetStream();
        var headers = HeaderBlock(port, path, ("content-type", "application/json"), ("content-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        WriteFrame(output, Headers, EndHeaders, 1, headers);
        WriteFrame(output, Data, EndStream, 1, body);
        await stream.WriteAsync(output.ToArray(), timeout.Token);
        var answer = await ReadAnswerAsync(stream, 1, timeout.Token);

        output.SetLength(0);
        WriteFrame(output, Headers, EndHeaders, 3, headers);
        WriteFrame(output, Data, 0, 3, body.AsSpan(0, 16));
        WriteFrame(output, RstStream, 0, 3, [0, 0, 0, 0x8]); // CANCEL
        await stream.WriteAsync(output.ToArray(), timeout.Token);
        await whileOpen();
        return answer;
    }

    /// <summary>
    /// Starts a ModelInfer call (or one to <paramref name="path"/>) to 127.0.0.1:<paramref name="port"/> on a new connection
    /// and resets it: its headers, the first <paramref name="sent"/> bytes of <paramref name="body"/> (gRPC frames) and
    /// RST_STREAM CANCEL go out together (the reset once <paramref name="beforeReset"/> completes, when given). The
    /// connection stays open until <paramref name="whileOpen"/> completes.
    /// </summary>
    public static async Task ResetMidMessageAsync(
        int port, byte[] body, int sent, Func<Task> whileOpen, string path = "/inference.GRPCInferenceService/ModelInfer", Func<Task>? beforeReset = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        WriteFrame(output, Headers, EndHeaders, 1, HeaderBlock(port, path, ("content-type", "application/grpc"), ("te", "trailers")));
        WriteFrame(output, Data, 0, 1, body.AsSpan(0, sent));
        if (beforeReset is not null)
        {
            await client.GetStream().WriteAsync(output.ToArray(), timeout.Token);
            output.SetLength(0);
            await beforeReset();
        }

        WriteFrame(output, RstStream, 0, 1, [0, 0, 0, 0x8]); // CANCEL
        await client.GetStream().WriteAsync(output.ToArray(), timeout.Token);
        await whileOpen();
    }

    /// <summary>
    /// On one connection to 127.0.0.1:<paramref name="port"/>: a ModelInfer call of <paramref name="body"/>, answered in
    /// full (the connection has served a call, as a pooled one has), then a second one with <paramref name="headers"/>
    /// whose headers and first <paramref name="sent"/> bytes go out, then (once <paramref name="beforeReset"/> completes,
    /// or with them) RST_STREAM CANCEL. The connection stays open until <paramref name="whileOpen"/> completes.
    /// </summary>
    public static async Task GrpcCallThenResetMidMessageAsync(
        int port, byte[] body, int sent, Func<Task>? beforeReset, Func<Task> whileOpen, params (string Name, string Value)[] headers)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        var stream = client.GetStream();
        const string Path = "/inference.GRPCInferenceService/ModelInfer";
        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        WriteFrame(output, Headers, EndHeaders, 1, HeaderBlock(port, Path, ("content-type", "application/grpc"), ("te", "trailers")));
        WriteFrame(output, Data, EndStream, 1, body);
        await stream.WriteAsync(output.ToArray(), timeout.Token);
        await ReadAnswerAsync(stream, 1, timeout.Token);

        output.SetLength(0);
        WriteFrame(output, Headers, EndHeaders, 3, HeaderBlock(port, Path, [("content-type", "application/grpc"), ("te", "trailers"), .. headers]));
        WriteFrame(output, Data, 0, 3, body.AsSpan(0, sent));
        if (beforeReset is not null)
        {
            await stream.WriteAsync(output.ToArray(), timeout.Token);
            output.SetLength(0);
            await beforeReset();
        }

        WriteFrame(output, RstStream, 0, 3, [0, 0, 0, 0x8]); // CANCEL
        await stream.WriteAsync(output.ToArray(), timeout.Token);
        await whileOpen();
    }

    // The request's headers as HPACK literals.
    private static byte[] HeaderBlock(int port, string path, params (string Name, string Value)[] more)
    {
        var block = new MemoryStream();
        foreach (var (name, value) in new[] { (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", $"127.0.0.1:{port}") }.Concat(more))
        {
            block.WriteByte(0x00); // literal header field without indexing, new name
            Hpack.WriteString(block, name);
            Hpack.WriteString(block, value);
        }

        return block.ToArray();
    }

    // The frames the server sent on stream streamId, up to the one that ends it (SETTINGS acknowledged on the way).
    private static async Task<IReadOnlyList<Frame>> ReadAnswerAsync(NetworkStream stream, int streamId, CancellationToken cancellationToken)
    {
        var frames = new List<Frame>();
        var header = new byte[9];
        while (true)
        {
            await stream.ReadExactlyAsync(header, cancellationToken);
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var (type, flags) = (header[3], header[4]);
            var id = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue;
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, cancellationToken);
            if (type == Settings && (flags & Ack) == 0)
            {
                var ack = new MemoryStream();
                WriteFrame(ack, Settings, Ack, 0, []);
                await stream.WriteAsync(ack.ToArray(), cancellationToken);
            }
            else if (type == GoAway)
            {
                throw new InvalidOperationException($"the server sent GOAWAY after {string.Join(", ", frames)}");
            }

            // The answer's frames only: a WINDOW_UPDATE or PRIORITY on the stream is flow control, not the answer.
            if (id != streamId || type is not (Data or Headers or RstStream or Continuation))
            {
                continue;
            }

            frames.Add(new Frame(type, flags, length));
            if (type == RstStream || ((type is Data or Headers) && (flags & EndStream) != 0))
            {
                return frames;
            }
        }
    }

    /// <summary>Writes one frame: its 9-byte header, then <paramref name="payload"/>.</summary>
    internal static void WriteFrame(Stream output, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], streamId);
        output.Write(header);
        output.Write(payload);
    }
}
