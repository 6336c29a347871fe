using System.Net.Sockets;
using System.Text;

namespace Serving.Testing;

/// <summary>HTTP/1.1 over a bare TCP connection, for tests about connections themselves (limits, resets).</summary>
public static class RawHttp1
{
    /// <summary>A connection to 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port).ConfigureAwait(false);
        return client;
    }

    /// <summary>Sends GET <paramref name="path"/> on the connection: the answer's status line, or null when the server closed or reset it.</summary>
    public static async Task<string?> StatusLineAsync(TcpClient client, string path = "/v2/health/live")
    {
        try
        {
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")).ConfigureAwait(false);
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            return read > 0 ? Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0] : null;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return null; // reset or closed by the server
        }
    }

    /// <summary>
    /// Sends a JSON POST of <paramref name="body"/> to <paramref name="path"/> on the connection (kept alive) and reads the
    /// whole answer (its body by its Content-Length): the answer's status line.
    /// </summary>
    public static async Task<string> PostAsync(TcpClient client, string path, byte[] body)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n")).ConfigureAwait(false);
        await stream.WriteAsync(body).ConfigureAwait(false);
        var head = await ReadHeadAsync(stream).ConfigureAwait(false);
        var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).Single();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.ReadExactlyAsync(new byte[length], timeout.Token).ConfigureAwait(false);
        return head.Split("\r\n")[0];
    }

    /// <summary>
    /// Sends the head of a JSON POST to <paramref name="path"/> with a Content-Length of <paramref name="contentLength"/> and
    /// <c>Expect: 100-continue</c>; once the server has started reading the body (its 100 Continue), sends 16 bytes of it
    /// and closes the connection: a caller that went away while its body came in.
    /// </summary>
    public static async Task HangUpMidBodyAsync(TcpClient client, string path, int contentLength)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\nExpect: 100-continue\r\n\r\n")).ConfigureAwait(false);
        var head = await ReadHeadAsync(stream).ConfigureAwait(false);
        if (!head.StartsWith("HTTP/1.1 100 Continue", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expected 100 Continue, got '{head}'");
        }

        await stream.WriteAsync("{\"inputs\": [{\"name\""u8.ToArray()).ConfigureAwait(false);
        client.Close();
    }

    /// <summary>An answer's head (up to its empty line), read a byte at a time so nothing after it is taken.</summary>
    public static async Task<string> ReadHeadAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, timeout.Token).ConfigureAwait(false) != 1)
            {
                throw new IOException($"the connection ended after '{head}'");
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
