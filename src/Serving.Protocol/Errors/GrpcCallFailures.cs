using System.Net.Http;
using Grpc.Core;

namespace Serving.Protocol.Errors;

/// <summary>Reads why a gRPC client call failed before any server answered, for the command-line tools' messages.</summary>
public static class GrpcCallFailures
{
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
}
