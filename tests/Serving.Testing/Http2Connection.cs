using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Serving.Testing;

/// <summary>
/// A bare HTTP/2 connection (h2c, prior knowledge) whose streams the caller drives frame by frame: any headers in any
/// order (pseudo-headers too, as HPACK literals), DATA frames cut as wished, with or without END_STREAM, RST_STREAM and
/// GOAWAY. A reader decodes what the server sends back into an <see cref="Http2Answer"/> per stream (the answer's
/// headers, its body, its trailers, or the RST_STREAM that ended it). The connection tells the server to keep no HPACK
/// table (SETTINGS_HEADER_TABLE_SIZE 0), so an answer's headers are static-table entries or literals.
/// </summary>
public sealed class Http2Connection : IAsyncDisposable
{
    private const byte Ping = 0x6;
    private const byte WindowUpdate = 0x8;
    private const byte Ack = 0x1;
    private const int MaxFrame = 16_384;

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ConcurrentDictionary<int, StreamState> _streams = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;

    private Http2Connection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>The port connected to.</summary>
    public int Port { get; private init; }

    /// <summary>The GOAWAY the server sent, if it did: (last stream id, error code).</summary>
    public (int LastStreamId, int ErrorCode)? GoAway { get; private set; }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and sends the preface and the client's SETTINGS.</summary>
    public static async Task<Http2Connection> OpenAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        var connection = new Http2Connection(client) { Port = port };
        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        Http2Frames.WriteFrame(output, Http2Frames.Settings, 0, 0, [0, 1, 0, 0, 0, 0]); // SETTINGS_HEADER_TABLE_SIZE 0
        await connection.WriteAsync(output.ToArray());
        return connection;
    }

    /// <summary>The headers of a gRPC call to <paramref name="path"/> as a client sends them: pseudo-headers, content-type, te.</summary>
    public List<(string Name, string Value)> GrpcHeaders(string path = "/inference.GRPCInferenceService/ModelInfer") =>
        [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", $"127.0.0.1:{Port}"), ("content-type", "application/grpc"), ("te", "trailers")];

    /// <summary>Opens stream <paramref name="streamId"/> with <paramref name="headers"/> (split into CONTINUATION frames past 16 KiB).</summary>
    public Task HeadersAsync(int streamId, IReadOnlyList<(string Name, string Value)> headers, bool endStream)
    {
        _streams.TryAdd(streamId, new StreamState());
        var block = HeaderBlock(headers);
        var output = new MemoryStream();
        var first = Math.Min(block.Length, MaxFrame);
        Http2Frames.WriteFrame(output, Http2Frames.Headers, (byte)((endStream ? Http2Frames.EndStream : 0) | (first == block.Length ? Http2Frames.EndHeaders : 0)), streamId, block.AsSpan(0, first));
        for (var at = first; at < block.Length; at += MaxFrame)
        {
            var length = Math.Min(MaxFrame, block.Length - at);
            Http2Frames.WriteFrame(output, Http2Frames.Continuation, at + length == block.Length ? Http2Frames.EndHeaders : (byte)0, streamId, block.AsSpan(at, length));
        }

        return WriteAsync(output.ToArray());
    }

    /// <summary>Sends <paramref name="data"/> on <paramref name="streamId"/> as DATA frames of at most <paramref name="frameSize"/> bytes (one empty frame for no data).</summary>
    public Task DataAsync(int streamId, ReadOnlySpan<byte> data, bool endStream, int frameSize = MaxFrame)
    {
        var output = new MemoryStream();
        var at = 0;
        do
        {
            var length = Math.Min(frameSize, data.Length - at);
            Http2Frames.WriteFrame(output, Http2Frames.Data, endStream && at + length == data.Length ? Http2Frames.EndStream : (byte)0, streamId, data.Slice(at, length));
            at += length;
        }
        while (at < data.Length);
        return WriteAsync(output.ToArray());
    }

    /// <summary>Resets <paramref name="streamId"/> (error code CANCEL unless given).</summary>
    public Task ResetAsync(int streamId, int errorCode = 0x8)
    {
        var output = new MemoryStream();
        Span<byte> code = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(code, errorCode);
        Http2Frames.WriteFrame(output, Http2Frames.RstStream, 0, streamId, code);
        return WriteAsync(output.ToArray());
    }

    /// <summary>Sends GOAWAY NO_ERROR naming <paramref name="lastStreamId"/> as the last stream the client will have processed.</summary>
    public Task GoAwayAsync(int lastStreamId)
    {
        var output = new MemoryStream();
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(payload, lastStreamId);
        Http2Frames.WriteFrame(output, Http2Frames.GoAway, 0, 0, payload);
        return WriteAsync(output.ToArray());
    }

    /// <summary>The answer on <paramref name="streamId"/> once the server ended the stream, or what there was of it when <paramref name="wait"/> ran out or the connection ended.</summary>
    public async Task<Http2Answer> AnswerAsync(int streamId, TimeSpan wait)
    {
        var state = _streams.GetOrAdd(streamId, _ => new StreamState());
        var ended = await Task.WhenAny(state.Ended.Task, Task.Delay(wait), _reader).ConfigureAwait(false);
        if (_reader.IsFaulted)
        {
            await _reader.ConfigureAwait(false); // the reader's own failure (an answer it could not decode), not the server's
        }

        lock (state)
        {
            var ending = state.Ended.Task.IsCompleted ? state.Ended.Task.Result : ended == _reader ? (GoAway is null ? "closed" : "goaway") : "no answer";
            return new Http2Answer(ending, [.. state.Headers], [.. state.Trailers], state.Body.ToArray(), state.ResetCode) { GoAwayCode = GoAway?.ErrorCode };
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _client.Dispose();
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _closing.Dispose();
        _writing.Dispose();
    }

    /// <summary>Writes raw bytes on the connection.</summary>
    public async Task WriteAsync(byte[] bytes)
    {
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[9];
        var block = new MemoryStream();
        while (true)
        {
            try
            {
                await _stream.ReadExactlyAsync(header, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var (type, flags) = (header[3], header[4]);
            var id = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue;
            var payload = new byte[length];
            try
            {
                await _stream.ReadExactlyAsync(payload, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            switch (type)
            {
                case Http2Frames.Settings when (flags & Ack) == 0:
                    await AnswerFrameAsync(Frame(Http2Frames.Settings, Ack, 0, [])).ConfigureAwait(false);
                    break;
                case Ping when (flags & Ack) == 0:
                    await AnswerFrameAsync(Frame(Ping, Ack, 0, payload)).ConfigureAwait(false);
                    break;
                case Http2Frames.GoAway:
                    GoAway = (BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
                    break;
                case Http2Frames.Headers or Http2Frames.Continuation:
                    // Padding and priority are not used by Kestrel's answers; refuse them loudly rather than misread them.
                    if (type == Http2Frames.Headers && (flags & 0x28) != 0)
                    {
                        throw new InvalidOperationException($"a HEADERS frame with padding or priority (flags {flags:x2})");
                    }

                    block.Write(payload);
                    if ((flags & Http2Frames.EndHeaders) != 0)
                    {
                        var state = _streams.GetOrAdd(id, _ => new StreamState());
                        lock (state)
                        {
                            (state.Headers.Count == 0 ? state.Headers : state.Trailers).AddRange(Hpack.Decode(block.ToArray()));
                        }

                        block.SetLength(0);
                    }

                    End(id, flags, "answered");
                    break;
                case Http2Frames.Data:
                    var data = _streams.GetOrAdd(id, _ => new StreamState());
                    lock (data)
                    {
                        data.Body.Write(payload);
                    }

                    if (length > 0)
                    {
                        // Give the window back at once: the answers are small, and the server must never wait on this reader.
                        var increment = new byte[4];
                        BinaryPrimitives.WriteInt32BigEndian(increment, length);
                        await AnswerFrameAsync([.. Frame(WindowUpdate, 0, 0, increment), .. Frame(WindowUpdate, 0, id, increment)]).ConfigureAwait(false);
                    }

                    End(id, flags, "answered");
                    break;
                case Http2Frames.RstStream:
                    var reset = _streams.GetOrAdd(id, _ => new StreamState());
                    lock (reset)
                    {
                        reset.ResetCode = BinaryPrimitives.ReadInt32BigEndian(payload);
                    }

                    reset.Ended.TrySetResult("reset");
                    break;
            }
        }
    }

    // A frame the reader owes the server; the server may have closed the connection already.
    private async Task AnswerFrameAsync(byte[] frame)
    {
        try
        {
            await WriteAsync(frame).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private void End(int id, byte flags, string how)
    {
        if ((flags & Http2Frames.EndStream) != 0)
        {
            _streams.GetOrAdd(id, _ => new StreamState()).Ended.TrySetResult(how);
        }
    }

    // The headers as HPACK literals without indexing, new name, no Huffman coding.
    private static byte[] HeaderBlock(IReadOnlyList<(string Name, string Value)> headers)
    {
        var block = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            block.WriteByte(0x00);
            Hpack.WriteString(block, name);
            Hpack.WriteString(block, value);
        }

        return block.ToArray();
    }

    private static byte[] Frame(byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var output = new MemoryStream();
        Http2Frames.WriteFrame(output, type, flags, streamId, payload);
        return output.ToArray();
    }

    private sealed class StreamState
    {
        public List<(string Name, string Value)> Headers { get; } = [];

        public List<(string Name, string Value)> Trailers { get; } = [];

        public MemoryStream Body { get; } = new();

        public int? ResetCode { get; set; }

        public TaskCompletionSource<string> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// What the server sent on one stream: <paramref name="Ending"/> is "answered" (a frame with END_STREAM), "reset"
/// (RST_STREAM, <paramref name="ResetCode"/>), "goaway" or "closed" (the connection ended first) or "no answer" (the wait ran out).
/// </summary>
public sealed record Http2Answer(string Ending, IReadOnlyList<(string Name, string Value)> Headers, IReadOnlyList<(string Name, string Value)> Trailers, byte[] Body, int? ResetCode)
{
    /// <summary>The error code of the GOAWAY the server sent on the connection, if it did.</summary>
    public int? GoAwayCode { get; init; }

    /// <summary>The HTTP status (0 without headers).</summary>
    public int Status => int.TryParse(Header(":status"), out var status) ? status : 0;

    /// <summary>The gRPC status from the trailers, or the headers of a trailers-only answer; null without one.</summary>
    public int? GrpcStatus => int.TryParse(Trailer("grpc-status") ?? Header("grpc-status"), out var status) ? status : null;

    /// <summary>The <c>grpc-message</c>, percent-decoded ("" without one).</summary>
    public string GrpcMessage => Uri.UnescapeDataString(Trailer("grpc-message") ?? Header("grpc-message") ?? "");

    /// <summary>The first value of header <paramref name="name"/>, or null.</summary>
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Name == name).Value;

    /// <summary>The first value of trailer <paramref name="name"/>, or null.</summary>
    public string? Trailer(string name) => Trailers.FirstOrDefault(h => h.Name == name).Value;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Ending}{(ResetCode is { } code ? $" (RST_STREAM {code})" : "")}{(GoAwayCode is { } goAway ? $" (GOAWAY {goAway})" : "")} :status {Status}, grpc-status {GrpcStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} '{GrpcMessage}'"
        + $"; headers [{string.Join(", ", Headers.Select(h => $"{h.Name}: {h.Value}"))}], trailers [{string.Join(", ", Trailers.Select(h => $"{h.Name}: {h.Value}"))}], {Body.Length} body bytes"
        + (Body.Length is > 0 and < 400 && Header("content-type") is { } type && !type.StartsWith("application/grpc", StringComparison.Ordinal) ? $" '{Encoding.UTF8.GetString(Body)}'" : "");
}
