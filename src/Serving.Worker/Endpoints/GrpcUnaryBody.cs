using System.IO.Pipelines;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Wire;

namespace Serving.Worker.Endpoints;

/// <summary>
/// A unary call's body must be exactly one gRPC message: its 5-byte header and the length that header gives. grpc-dotnet
/// answers a body that ends inside the message, or goes on after it, with INTERNAL ("Incomplete message.", "Additional
/// data after the message received."), the status of a server's own failure, which the gateway's automatic rollback
/// counts against the version. Read here first (nothing consumed), the caller's mistake is INVALID_ARGUMENT saying what
/// came. The wait for the body is bounded by the call's <c>grpc-timeout</c>, as grpc-dotnet's is.
/// </summary>
internal static class GrpcUnaryBody
{
    /// <summary>A token cancelled when the caller leaves or the call's grpc-timeout passes; null source without a timeout.</summary>
    public static (CancellationTokenSource? Deadline, CancellationToken Token) Deadline(HttpContext context)
    {
        if (!GrpcTimeout.TryParse(context.Request.Headers[GrpcTimeout.Header].ToString(), out var timeout))
        {
            return (null, context.RequestAborted);
        }

        var source = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        source.CancelAfter(timeout < TimeSpan.FromDays(1) ? timeout : Timeout.InfiniteTimeSpan);
        return (source, source.Token);
    }

    /// <summary>True when <paramref name="e"/> is the call's deadline passing, not the caller leaving.</summary>
    public static bool IsDeadline(HttpContext context, CancellationTokenSource? deadline, Exception e) =>
        e is OperationCanceledException && deadline is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested;

    /// <summary>The status for a call whose deadline passed before its message came.</summary>
    public static (StatusCode, string) DeadlinePassed => (StatusCode.DeadlineExceeded, GrpcTimeout.PassedBeforeRequest);

    /// <summary>
    /// Waits for the body's end (or a byte past the message) without consuming it; null when the body is exactly the
    /// message of <paramref name="length"/> bytes, else the refusal. Afterwards everything read is examined, so
    /// grpc-dotnet's read returns at once with the whole body.
    /// </summary>
    public static async Task<(StatusCode Status, string Message)?> CheckAsync(PipeReader reader, long length, CancellationToken token)
    {
        var whole = 5 + length;
        var read = await reader.ReadAtLeastAsync((int)Math.Min(whole + 1, int.MaxValue), token).ConfigureAwait(false);
        var came = read.Buffer.Length;
        reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        return came > whole
            ? (StatusCode.InvalidArgument, $"the body goes on after its message ({length} bytes, as its header says): a ModelInfer call's body is one gRPC message")
            : came < whole
            ? (StatusCode.InvalidArgument, $"the body ended {came - 5} bytes into its message of {length} bytes (as its header says): send the whole message")
            : null;
    }
}
