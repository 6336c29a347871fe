using Grpc.Core;

namespace Serving.Gateway.Rollback;

/// <summary>Sorts a forwarded request's answer into ok, failed (the version's fault) or ignored (the caller's).</summary>
internal static class RequestOutcomes
{
    /// <summary>The outcome of an answer with HTTP <paramref name="httpStatus"/> and, for gRPC, <paramref name="grpcStatus"/> (null: none sent).</summary>
    public static RequestOutcome Classify(int httpStatus, int? grpcStatus) => grpcStatus is { } grpc
        ? (StatusCode)grpc switch
        {
            StatusCode.OK => RequestOutcome.Ok,
            StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.DeadlineExceeded => RequestOutcome.Failed,
            _ => RequestOutcome.Ignored,
        }
        : httpStatus switch
        {
            >= 200 and < 400 => RequestOutcome.Ok,
            >= 500 and < 600 => RequestOutcome.Failed,
            _ => RequestOutcome.Ignored,
        };
}
