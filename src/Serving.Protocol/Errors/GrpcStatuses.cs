using Grpc.Core;

namespace Serving.Protocol.Errors;

/// <summary>The gRPC status for an HTTP error status, for answers built from a REST one (the gRPC HTTP mapping, inverted).</summary>
public static class GrpcStatuses
{
    public static StatusCode FromHttp(int status) => status switch
    {
        400 => StatusCode.InvalidArgument,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        413 or 429 => StatusCode.ResourceExhausted,
        503 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
