using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Serving.Testing;

/// <summary>What became of a request written by hand on its own HTTP/1.1 connection (<see cref="RawExchange"/>).</summary>
/// <param name="Status">The first answer's status; 0 when none came.</param>
/// <param name="Head">The first answer's head, without its empty line ("" when none came).</param>
/// <param name="Body">The first answer's body, unchunked (still in its Content-Encoding).</param>
/// <param name="Ending">"answered", "closed" (the server closed without an answer), "reset", or "no answer" (none within the wait).</param>
public sealed record RawAnswer(int Status, string Head, byte[] Body, string Ending)
{
    /// <summary>The value of the answer's header <paramref name="name"/>, or null.</summary>
    public string? Header(string name) => Head.Split("\r\n").Skip(1).Select(l => l.Split(':', 2))
        .Where(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault();

    /// <summary>The body as text, for messages.</summary>
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The reason in the product's JSON error body (<c>{"error": "..."}</c>, Content-Type application/json); null when there is none.</summary>
    public string? Error
    {
        get
        {
            if (Header("Content-Type")?.StartsWith("application/json", StringComparison.Ordinal) != true)
            {
                return null;
            }

            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(Body);
                return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e)
                    && e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() : null;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>
/// Sends bytes written by hand (a request that may lie about its framing) on a new HTTP/1.1 connection and reads the
/// first answer by its own framing (Content-Length or chunked), or what the server did instead: closed, reset, or
/// nothing within the wait (a bounded wait: a hang fails the caller, it is not timed).
/// </summary>
public static class RawExchange
{
    /// <summary>What the client does once its bytes are written.</summary>
    public enum Then
    {
        /// <summary>Waits for the answer, the connection left open.</summary>
        Wait,

        /// <summary>Ends its sending side (a FIN) and waits for the answer.</summary>
        HalfClose,

        /// <summary>Closes the connection (a FIN, not a reset): nobody is left to answer.</summary>
        Close,
    }

    /// <summary>Sends <paramref name="request"/> to 127.0.0.1:<paramref name="port"/>, then does <paramref name="then"/>.</summary>
    public static async Task<RawAnswer> SendAsync(int port, byte[] request, Then then, TimeSpan wait)
    {
        var headRequest = request.AsSpan().StartsWith("HEAD "u8);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port).ConfigureAwait(false);
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await stream.WriteAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A server that answered and closed while the body was still going: its answer may still be there to read.
        }

        if (then == Then.Close)
        {
            // A FIN, as a client process that exits sends: what was written arrives (a reset could take it with it unread).
            client.Close();
            return new RawAnswer(0, "", [], "closed by the client");
        }

        if (then == Then.HalfClose)
        {
            try
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already closed by the server: read what it said.
            }
        }

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        string ending;
        while (true)
        {
            if (TryParse(received.GetBuffer().AsSpan(0, (int)received.Length), headRequest, out var answer))
            {
                return answer;
            }

            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                ending = "no answer";
                break;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                ending = "reset";
                break;
            }

            if (read == 0)
            {
                ending = "closed";
                break;
            }

            received.Write(buffer, 0, read);
        }

        // An answer that ended with the connection (no Content-Length, not chunked) is whole at the close.
        var bytes = received.ToArray();
        var headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (ending == "closed" && headEnd > 0)
        {
            var head = Encoding.ASCII.GetString(bytes, 0, headEnd);
            return new RawAnswer(StatusOf(head), head, bytes[(headEnd + 4)..], "answered");
        }

        return new RawAnswer(0, Encoding.ASCII.GetString(bytes), [], ending);
    }

    /// <summary>An HTTP/1.1 request's bytes: the request line, the headers as given (none added), an empty line and the body.</summary>
    public static byte[] Request(string method, string target, IEnumerable<(string Name, string Value)> headers, ReadOnlySpan<byte> body)
    {
        var head = new StringBuilder().Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return [.. Encoding.Latin1.GetBytes(head.Append("\r\n").ToString()), .. body];
    }

    /// <summary><paramref name="body"/> in chunks of random sizes (1 to <paramref name="largest"/>), then the last chunk and the empty line.</summary>
    public static byte[] Chunked(ReadOnlySpan<byte> body, Random random, int largest = 4096, string lastChunk = "0\r\n\r\n")
    {
        var output = new MemoryStream();
        for (var at = 0; at < body.Length;)
        {
            var size = Math.Min(body.Length - at, random.Next(1, largest + 1));
            output.Write(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
            output.Write(body.Slice(at, size));
            output.Write("\r\n"u8);
            at += size;
        }

        output.Write(Encoding.ASCII.GetBytes(lastChunk));
        return output.ToArray();
    }

    // A whole first answer: its head and its body by Content-Length or chunks (none for a HEAD request); a 1xx (100 Continue) is skipped.
    private static bool TryParse(ReadOnlySpan<byte> bytes, bool headRequest, out RawAnswer answer)
    {
        answer = null!;
        while (true)
        {
            var headEnd = bytes.IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                return false;
            }

            var head = Encoding.ASCII.GetString(bytes[..headEnd]);
            var status = StatusOf(head);
            var rest = bytes[(headEnd + 4)..];
            if (status is >= 100 and < 200)
            {
                bytes = rest;
                continue;
            }

            var probe = new RawAnswer(status, head, [], "answered");
            if (probe.Header("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                var body = new MemoryStream();
                while (true)
                {
                    var line = rest.IndexOf("\r\n"u8);
                    if (line < 0)
                    {
                        return false;
                    }

                    var size = int.Parse(Encoding.ASCII.GetString(rest[..line]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (size == 0)
                    {
                        answer = probe with { Body = body.ToArray() };
                        return true;
                    }

                    if (rest.Length < line + 2 + size + 2)
                    {
                        return false;
                    }

                    body.Write(rest.Slice(line + 2, size));
                    rest = rest[(line + 2 + size + 2)..];
                }
            }

            if (headRequest || status is 204 or 304)
            {
                answer = probe;
                return true;
            }

            var length = probe.Header("Content-Length") is { } cl ? int.Parse(cl, CultureInfo.InvariantCulture) : -1;
            if (length < 0)
            {
                return false; // framed by the close
            }

            if (rest.Length < length)
            {
                return false;
            }

            answer = probe with { Body = rest[..length].ToArray() };
            return true;
        }
    }

    private static int StatusOf(string head) =>
        head.Length >= 12 && int.TryParse(head.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : -1;
}
