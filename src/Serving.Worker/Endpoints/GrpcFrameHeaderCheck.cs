using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Protocol.Errors;
using Serving.Worker.Configuration;
using Serving.Worker.Metrics;
using Serving.Hosting.Http;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Reads a ModelInfer call's 5-byte gRPC message header before grpc-dotnet does. grpc-dotnet answers two malformed
/// headers with UNKNOWN "Exception was thrown by handler": a compressed flag other than 0 or 1 (INVALID_ARGUMENT
/// here) and a length past 2^31 - 1 (RESOURCE_EXHAUSTED: over any <c>MaxRequestBytes</c>); and a compressed flag
/// without a <c>grpc-encoding</c> with INTERNAL (INVALID_ARGUMENT here: the caller's mistake). The gateway answers
/// all three so too. A body too short for a header, or not exactly one message, is INVALID_ARGUMENT
/// (<see cref="GrpcUnaryBody"/>: grpc-dotnet's INTERNAL before); a length past the limit is left to grpc-dotnet
/// (RESOURCE_EXHAUSTED). The body is looked at, not consumed, and waited for no longer than the call's grpc-timeout.
/// </summary>
internal static class GrpcFrameHeaderCheck
{
    private const int HeaderLength = 5;

    /// <summary>
    /// The middleware, after routing: checks a call that reached ModelInfer by any spelling routing takes (another case, a
    /// trailing slash: those went past the check, and the memory budget, when it looked for the exact path); passes every
    /// other request on untouched.
    /// </summary>
    public static Task InvokeAsync(HttpContext context, RequestDelegate next) =>
        context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method is { Name: "ModelInfer", ServiceName: InferenceServiceMethodProvider.ServiceName }
            ? CheckAsync(context, next)
            : next(context);

    private static async Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        // grpc-dotnet lifts Kestrel's body limit (MaxRequestBytes, meant for REST bodies) from every call and bounds the
        // message alone, but reading the body here first makes the limit read-only: lift it first. Left in force, it
        // counted the 5-byte header against MaxRequestBytes and broke a read past it with UNKNOWN "Exception was thrown
        // by handler": a message of MaxRequestBytes, or one over a limit smaller than the body's first read.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        var (deadline, token) = GrpcUnaryBody.Deadline(context);
        using (deadline)
        {
            try
            {
                await CheckAsync(context, next, token).ConfigureAwait(false);
            }
            catch (Exception e) when (GrpcUnaryBody.IsDeadline(context, deadline, e))
            {
                // A body that stopped inside its header waited here past the call's deadline, as long as the caller stayed.
                var (status, message) = GrpcUnaryBody.DeadlinePassed;
                await FailAsync(context, status, message).ConfigureAwait(false);
            }
            catch (Exception e) when (CallerGone.WhileReadingBody(context, e))
            {
                // The caller left before its message came: nobody to answer (grpc-dotnet's read failed so before).
            }
        }
    }

    private static async Task CheckAsync(HttpContext context, RequestDelegate next, CancellationToken token)
    {
        var reader = context.Request.BodyReader;
        byte flag;
        uint length;
        var waited = false;
        while (true)
        {
            var read = await reader.ReadAsync(token).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.Length >= HeaderLength || read.IsCompleted)
            {
                var whole = buffer.Length >= HeaderLength;
                Span<byte> header = stackalloc byte[HeaderLength];
                if (whole)
                {
                    buffer.Slice(0, HeaderLength).CopyTo(header);
                }

                // Nothing consumed: grpc-dotnet reads it all again. Nothing examined either on a first read, so its
                // read returns at once; after a wait the examined position can't go back (a pipe refuses that), and
                // grpc-dotnet's read then returns at the next data or the end of the body, which it waits for anyway.
                reader.AdvanceTo(buffer.Start, waited ? buffer.End : buffer.Start);
                if (!whole)
                {
                    await FailAsync(context, StatusCode.InvalidArgument, buffer.IsEmpty
                        ? "the body holds no message: a ModelInfer call's body is one gRPC message"
                        : $"the body ended inside the 5-byte gRPC message header ({buffer.Length} bytes came)").ConfigureAwait(false);
                    return;
                }

                (flag, length) = (header[0], BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            waited = true;
        }

        if (flag > 1)
        {
            await FailAsync(context, StatusCode.InvalidArgument, $"the gRPC message header is malformed (compressed flag {flag})").ConfigureAwait(false);
        }
        else if (flag == 1 && context.Request.Headers["grpc-encoding"].ToString() is "" or "identity")
        {
            await FailAsync(context, StatusCode.InvalidArgument, "the message is compressed but the request has no grpc-encoding header").ConfigureAwait(false);
        }
        else if (length > int.MaxValue)
        {
            await FailAsync(context, StatusCode.ResourceExhausted, $"the message's length ({length} bytes) is over the size allowed (Serving:Worker:MaxRequestBytes)").ConfigureAwait(false);
        }
        else
        {
            // The message's share of the memory budget, for as long as the call runs. A compressed message may inflate up
            // to MaxRequestBytes: that is its share.
            var budget = context.RequestServices.GetRequiredService<RequestMemoryBudget>();
            var maxRequestBytes = context.RequestServices.GetRequiredService<IOptions<WorkerOptions>>().Value.MaxRequestBytes;
            var size = flag == 1 ? maxRequestBytes : length;
            var share = RequestMemoryEstimate.Of(size, jsonBytes: 0);
            try
            {
                budget.Take(share, share);
            }
            catch (InferenceException e)
            {
                await FailAsync(context, StatusCode.ResourceExhausted, e.Message).ConfigureAwait(false);
                return;
            }

            // A large message carries its share to its decode, which raises it if the message takes more decoded.
            // Smaller ones (the usual call) carry nothing: no object, no change to the call's async flow.
            GrpcMessageMemory? memory = null;
            if (size >= InferRequestMemory.WalkFrom)
            {
                memory = new GrpcMessageMemory(budget, share);
                GrpcMessageMemory.Begin(memory);
            }

            try
            {
                // One over the limit is refused by grpc-dotnet by its header, without waiting for the rest.
                if (length <= maxRequestBytes && await GrpcUnaryBody.CheckAsync(reader, length, token).ConfigureAwait(false) is { } refused)
                {
                    await FailAsync(context, refused.Status, refused.Message).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            }
            finally
            {
                budget.Give(memory?.Share ?? share);
            }
        }
    }

    // A trailers-only answer, as grpc-dotnet writes one, counted as the handler never sees the call. The messages are
    // printable ASCII without '%': no percent-encoding needed.
    private static Task FailAsync(HttpContext context, StatusCode status, string message)
    {
        var code = status switch
        {
            StatusCode.ResourceExhausted => InferenceErrorCode.ResourceExhausted,
            StatusCode.DeadlineExceeded => InferenceErrorCode.DeadlineExceeded,
            _ => InferenceErrorCode.InvalidArgument,
        };
        context.RequestServices.GetRequiredService<WorkerMetrics>().Observe(WorkerMetrics.UnknownModel, "", "grpc", code.ToString(), 0);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = message;
        return response.CompleteAsync();
    }
}
