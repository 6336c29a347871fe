using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Serving.Protocol.Errors;

namespace Serving.Protocol.Tests.Errors;

/// <summary>
/// Telling a REST port from a gRPC one after a failed call: by the server's HTTP_1_1_REQUIRED, or, when the connection
/// closed before that got out (.NET's client then says only that the HTTP/2 handshake failed), by an HTTP/1.1 probe.
/// </summary>
public sealed class GrpcCallFailuresTests
{
    // What .NET's client reports when the server closed before its SETTINGS frame.
    private static RpcException HandshakeFailed() => new(new Status(
        StatusCode.Internal, "Error starting gRPC call.",
        new HttpRequestException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.")));

    [Fact]
    public async Task HandshakeFailed_AndTheAddressAnswersHttp11_IsHttp11Only()
    {
        await using var server = await RawServer.StartAsync("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"u8.ToArray());

        // A probe timeout far past the product's 2 s: CI once ran this with the machine so loaded that the answer of a
        // loopback listener took longer (a hang guard, not a timing assertion).
        Assert.True(await GrpcCallFailures.IsHttp11OnlyAsync(HandshakeFailed(), server.Address, CancellationToken.None, TimeSpan.FromSeconds(60)));
        Assert.StartsWith("GET /v2/health/live HTTP/1.1", server.FirstRequest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandshakeFailed_AndTheAddressClosesOnHttp11Too_IsNot()
    {
        await using var server = await RawServer.StartAsync(answer: null);

        Assert.False(await GrpcCallFailures.IsHttp11OnlyAsync(HandshakeFailed(), server.Address, CancellationToken.None));
    }

    [Fact]
    public async Task AServersOwnStatus_IsNot_AndNothingIsProbed()
    {
        await using var server = await RawServer.StartAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        var answered = new RpcException(new Status(StatusCode.Internal, "the worker failed"));

        Assert.False(await GrpcCallFailures.IsHttp11OnlyAsync(answered, server.Address, CancellationToken.None));
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Http11Required_IsHttp11Only_WithoutAProbe()
    {
        var refused = new RpcException(new Status(StatusCode.Internal, "Error starting gRPC call.",
            new HttpRequestException("x", new HttpProtocolException(0xd, "HTTP_1_1_REQUIRED", null))));

        Assert.True(GrpcCallFailures.IsHttp11Only(refused));
        Assert.True(await GrpcCallFailures.IsHttp11OnlyAsync(refused, new Uri("http://127.0.0.1:1/"), CancellationToken.None));
    }

    // A loopback listener that answers each connection's first request with fixed bytes, or closes it at once (null).
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _accepting = Task.CompletedTask;
        private int _connections;

        public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        public string FirstRequest { get; private set; } = "";

        public int Connections => Volatile.Read(ref _connections);

        public static Task<RawServer> StartAsync(byte[]? answer)
        {
            var server = new RawServer();
            server._listener.Start();
            server._accepting = server.AcceptAsync(answer);
            return Task.FromResult(server);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accepting;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync(byte[]? answer)
        {
            while (!_stop.IsCancellationRequested)
            {
                using var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                if (answer is null)
                {
                    continue; // disposed: closed without a byte
                }

                var buffer = new byte[4096];
                var read = await socket.ReceiveAsync(buffer, _stop.Token);
                FirstRequest = Encoding.ASCII.GetString(buffer, 0, read);
                await socket.SendAsync(answer, _stop.Token);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
    }
}
