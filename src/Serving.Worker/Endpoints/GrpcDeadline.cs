using System.Diagnostics;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Wire;
using Serving.Worker.Batching;
using Serving.Worker.Inference;

namespace Serving.Worker.Endpoints;

/// <summary>
/// A gRPC call's deadline as a Stopwatch timestamp (<see cref="CallerDeadline.NotGiven"/>: none; a deadline a day or more
/// away is <see cref="CallerDeadline.Unbounded"/>, which the model's default timeout doesn't replace). grpc-dotnet sets no deadline
/// for a <c>grpc-timeout</c> shorter than its 100 ns tick (<c>0n</c>, <c>99n</c>, <c>0S</c>, …); gRPC means such a call
/// has no time left, so it gets a deadline that has passed (DEADLINE_EXCEEDED before it runs), not none.
/// </summary>
internal static class GrpcDeadline
{
    public static long Of(ServerCallContext context) =>
        context.Deadline != DateTime.MaxValue ? InferenceService.DeadlineIn(context.Deadline - DateTime.UtcNow)
        : IsUnderATick(context.GetHttpContext().Request.Headers[GrpcTimeout.Header].ToString()) ? Stopwatch.GetTimestamp()
        : CallerDeadline.NotGiven;

    /// <summary>True for a well-formed <c>grpc-timeout</c> (1-8 digits and a unit, H M S m u n) shorter than 100 ns.</summary>
    internal static bool IsUnderATick(string header) => GrpcTimeout.TryParse(header, out var timeout) && timeout == TimeSpan.Zero;
}
