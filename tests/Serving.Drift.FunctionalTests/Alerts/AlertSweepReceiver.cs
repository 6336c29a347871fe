using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Serving.Drift.FunctionalTests.Alerts;

/// <summary>
/// A webhook receiver written by hand on a raw TCP listener (127.0.0.1, port 0), so it can misbehave as no web framework
/// would: each connection takes one request and gets <see cref="Misbehaviour"/>'s treatment, then is closed (so every
/// attempt of the monitor is a connection of its own, counted in <see cref="Accepted"/>).
/// </summary>
internal sealed class AlertSweepReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Func<Stream, CancellationToken, Task> _misbehaviour;
    private readonly bool _readsRequest;
    private readonly bool _lengthRequired;
    private readonly Task _accepting;
    private int _accepted;
    private int _holding;

    /// <param name="misbehaviour">What is done with a connection, once its request was read (or at once).</param>
    /// <param name="readsRequest">False: the request is not read before <paramref name="misbehaviour"/> runs.</param>
    /// <param name="lengthRequired">True: a request without Content-Length (a chunked body) is answered 411, as servers that don't take chunked bodies do.</param>
    public AlertSweepReceiver(Func<Stream, CancellationToken, Task> misbehaviour, bool readsRequest = true, bool lengthRequired = false)
    {
        _misbehaviour = misbehaviour;
        _readsRequest = readsRequest;
        _lengthRequired = lengthRequired;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hook";

    /// <summary>Connections (= delivery attempts) so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections held open without an answer right now (<see cref="HoldAsync"/>).</summary>
    public int Holding => Volatile.Read(ref _holding);

    /// <summary>"event model/version" of every request read whole, in arrival order.</summary>
    public IReadOnlyList<string> Events => [.. _events];

    /// <summary>Answers with a head of <paramref name="status"/> and these header lines, no body.</summary>
    public static Func<Stream, CancellationToken, Task> Status(int status, params string[] headers) =>
        (stream, token) => WriteAsync(stream, Head(status, ["Content-Length: 0", .. headers]), token);

    /// <summary>Writes raw bytes as the answer (a broken status line, a head cut short).</summary>
    public static Func<Stream, CancellationToken, Task> Raw(string answer) =>
        (stream, token) => WriteAsync(stream, answer, token);

    /// <summary>Answers <paramref name="status"/> with a body that never ends: 1 MiB of it, then nothing, the connection kept open.</summary>
    public Func<Stream, CancellationToken, Task> EndlessBody(int status, bool chunked) => async (stream, token) =>
    {
        await WriteAsync(stream, Head(status, [chunked ? "Transfer-Encoding: chunked" : "Content-Length: 1099511627776", "Content-Type: application/json"]), token);
        var piece = new byte[16 * 1024];
        var chunkHead = Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n");
        for (var sent = 0; sent < 1024 * 1024; sent += piece.Length)
        {
            if (chunked)
            {
                await stream.WriteAsync(chunkHead, token);
            }

            await stream.WriteAsync(piece, token);
            if (chunked)
            {
                await stream.WriteAsync("\r\n"u8.ToArray(), token);
            }
        }

        await HoldAsync(token);
    };

    /// <summary>Answers 200 with a whole body of <paramref name="bytes"/> bytes.</summary>
    public static Func<Stream, CancellationToken, Task> LargeBody(int bytes) => async (stream, token) =>
    {
        await WriteAsync(stream, Head(200, [$"Content-Length: {bytes}", "Content-Type: text/plain"]), token);
        var piece = new byte[64 * 1024];
        Array.Fill(piece, (byte)'x');
        for (var sent = 0; sent < bytes; sent += piece.Length)
        {
            await stream.WriteAsync(piece.AsMemory(0, Math.Min(piece.Length, bytes - sent)), token);
        }
    };

    /// <summary>Never answers: holds the connection until the client gives up (or the receiver stops).</summary>
    public Func<Stream, CancellationToken, Task> Hang() => (stream, token) => HoldAsync(token);

    /// <summary>Reads a few bytes of the request, then closes (with a reset when <paramref name="reset"/>).</summary>
    public static Func<Stream, CancellationToken, Task> CloseMidRequest(bool reset) => async (stream, token) =>
    {
        await stream.ReadAtLeastAsync(new byte[8], 8, throwOnEndOfStream: false, token);
        if (reset && stream is NetworkStream network)
        {
            network.Socket.LingerState = new LingerOption(true, 0);
        }
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await Task.WhenAll([_accepting, .. _connections]).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private static string Head(int status, IEnumerable<string> headers) =>
        $"HTTP/1.1 {status} Sweep\r\n{string.Concat(headers.Select(h => h + "\r\n"))}Connection: close\r\n\r\n";

    private static Task WriteAsync(Stream stream, string text, CancellationToken token) =>
        stream.WriteAsync(Encoding.Latin1.GetBytes(text), token).AsTask();

    private async Task HoldAsync(CancellationToken token)
    {
        Interlocked.Increment(ref _holding);
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        finally
        {
            Interlocked.Decrement(ref _holding);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                if (_readsRequest && await ReadRequestAsync(stream, _stop.Token) is var (head, body))
                {
                    using var json = JsonDocument.Parse(body);
                    var root = json.RootElement;
                    _events.Enqueue($"{root.GetProperty("event").GetString()} {root.GetProperty("model").GetString()}/{root.GetProperty("version").GetString()}");
                    if (_lengthRequired && ContentLength(head) is null)
                    {
                        await Status(411)(stream, _stop.Token);
                        return;
                    }
                }

                await _misbehaviour(stream, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The monitor gave up on the attempt (closed or reset), or the receiver is stopping.
            }
        }
    }

    // The request's head and body (Content-Length or chunked), or null when the connection ended first.
    private static async Task<(string Head, string Body)?> ReadRequestAsync(Stream stream, CancellationToken token)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var bytes = received.GetBuffer().AsSpan(0, (int)received.Length);
            var headEnd = bytes.IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0 && Encoding.Latin1.GetString(bytes[..headEnd]) is var head && BodyOf(head, bytes[(headEnd + 4)..]) is { } body)
            {
                return (head, body);
            }

            var read = await stream.ReadAsync(buffer, token);
            if (read == 0)
            {
                return null;
            }

            received.Write(buffer, 0, read);
        }
    }

    private static int? ContentLength(string head) =>
        head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } length
            ? int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static string? BodyOf(string head, ReadOnlySpan<byte> rest)
    {
        if (ContentLength(head) is { } count)
        {
            return rest.Length >= count ? Encoding.UTF8.GetString(rest[..count]) : null;
        }

        // Chunked: whole once the last chunk and its empty line are in.
        if (!rest.EndsWith("0\r\n\r\n"u8))
        {
            return null;
        }

        var body = new StringBuilder();
        var text = Encoding.UTF8.GetString(rest);
        for (var at = 0; ;)
        {
            var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(text[at..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(text, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
