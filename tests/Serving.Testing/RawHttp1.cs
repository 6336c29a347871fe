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
}
