using System.Net;
using System.Net.Http;
using Grpc.Core;

namespace Serving.Protocol.Errors;

/// <summary>Reads why a gRPC client call failed before any server answered, for the command-line tools' messages.</summary>
public static class GrpcCallFailures
{
    /// <summary>How long <see cref="IsHttp11OnlyAsync"/> waits for the HTTP/1.1 answer unless told otherwise.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    // RFC 9113 §7: the server refuses HTTP/2 on this connection and asks for HTTP/1.1 (Kestrel's answer on an HTTP/1.1-only port).
    private const long Http11Required = 0xd;

    /// <summary>True when the address answered that it speaks HTTP/1.1 only (HTTP_1_1_REQUIRED): a REST port, not a gRPC one.</summary>
    public static bool IsHttp11Only(RpcException e)
    {
        for (var inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException { ErrorCode: Http11Required })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the address speaks HTTP/1.1 only: it said so (<see cref="IsHttp11Only(RpcException)"/>), or the call could not
    /// set up HTTP/2 there and an HTTP/1.1 request to <paramref name="address"/> gets an answer. Kestrel's HTTP/1.1-only port
    /// does not always get its HTTP_1_1_REQUIRED out before the connection closes: .NET's client then reports only that the
    /// server "did not complete the HTTP/2 handshake" (one call in about 13 here, with the machine busy).
    /// </summary>
    /// <param name="probeTimeout">How long the HTTP/1.1 answer is waited for; <see cref="ProbeTimeout"/> when null.</param>
    public static async Task<bool> IsHttp11OnlyAsync(RpcException e, Uri address, CancellationToken cancellationToken, TimeSpan? probeTimeout = null)
    {
        if (IsHttp11Only(e))
        {
            return true;
        }

        if (e.Status.DebugException is not HttpRequestException)
        {
            return false; // a server answered, or the call never reached the network
        }

        using var handler = new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false };
        using var client = new HttpMessageInvoker(handler);
        using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/v2/health/live"))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout ?? ProbeTimeout);
        try
        {
            using var answer = await client.SendAsync(probe, timeout.Token).ConfigureAwait(false);
            return answer.Version.Major == 1;
        }
        catch (Exception probeFailed) when (probeFailed is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // nothing answers HTTP/1.1 there either
        }
    }
}
