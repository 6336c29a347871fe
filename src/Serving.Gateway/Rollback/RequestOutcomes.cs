using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Serving.Gateway.Routing;
using Serving.Protocol.Errors;
using Serving.Protocol.Wire;

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

    /// <summary>
    /// For a deadline expiry (504 / DEADLINE_EXCEEDED), what the caller's own deadline left the request when that deadline
    /// is what ended it: the worker's <see cref="CallerDeadlineMark"/> (REST header; gRPC header or trailer), which covers
    /// every deadline the caller can give (Triton's <c>timeout</c> parameter is in the body, where only the worker reads it);
    /// else, for gRPC, the call's <c>grpc-timeout</c>, which the worker holds it to (a worker that ends the call at that
    /// deadline itself, or resets it, sends no mark). Null for any other answer, and for an expiry of a deadline that is
    /// not the caller's (the model's <c>default_timeout_ms</c>; the gateway's own forwarding timeout without a grpc-timeout).
    /// </summary>
    public static TimeSpan? CallerBudget(HttpContext context, bool grpc, int httpStatus, int? grpcStatus)
    {
        if (grpcStatus is { } status ? status != (int)StatusCode.DeadlineExceeded : httpStatus != StatusCodes.Status504GatewayTimeout)
        {
            return null;
        }

        var mark = context.Response.Headers[CallerDeadlineMark.Header];
        if (mark.Count == 0 && grpc && context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers)
        {
            mark = trailers[CallerDeadlineMark.Header];
        }

        if (mark.Count == 1 && CallerDeadlineMark.TryParse(mark[0], out var budget))
        {
            return budget;
        }

        return grpc && GrpcTimeout.TryParse(context.Request.Headers[GrpcTimeout.Header].ToString(), out var timeout) ? timeout : null;
    }
}
