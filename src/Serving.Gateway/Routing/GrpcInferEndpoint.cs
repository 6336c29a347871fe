using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Metrics;
using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;
using Serving.Protocol.Errors;
using Serving.Protocol.Wire;
using Serving.Hosting.Http;

namespace Serving.Gateway.Routing;

/// <summary>
/// <c>/inference.GRPCInferenceService/ModelInfer</c>: the model and version are inside the protobuf
/// body. The leading fields are read from the request pipe without consuming it (AdvanceTo the
/// start), so the forwarder sends the caller's bytes untouched; the model and version routed by
/// travel as <c>x-serving-model</c> / <c>x-serving-version</c> metadata. The worker serves that
/// version when <c>model_version</c> is empty, and refuses a message whose fields, decoded in full,
/// name another model or version (protobuf lets a repeated field further on win). A gzip-compressed
/// message (<c>grpc-encoding: gzip</c>) has just its start inflated to read the fields
/// (<see cref="GrpcCompressedPrefix"/>) and is forwarded compressed. <c>ModelStreamInfer</c> (Triton's streaming infer)
/// is routed the same way by its first message, and the whole stream goes to one worker of that version through YARP:
/// every message on it must be for that model and version (the worker refuses another in the stream, and goes on).
/// </summary>
internal sealed class GrpcInferEndpoint(
    RoutingState routing,
    TrafficPolicies policies,
    InferenceForwarder forwarder,
    GatewayMetrics metrics,
    RollbackOutcomes outcomes,
    RequestMemoryBudget memory,
    IOptions<GatewayOptions> options)
{
    /// <summary>The most bytes looked at before the leading fields must have been found.</summary>
    public const int PeekLimit = 4096;

    public Task InvokeAsync(HttpContext context, bool streaming = false)
    {
        var routed = RouteAsync(context, streaming);
        return context.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true } activity ? TagAsync(routed, context, activity) : routed;
    }

    // A traced call's server span says which method it was and the status it ended with, as grpc-dotnet's say for the
    // worker's own gRPC services: the tracer's instrumentation turns them into rpc.* attributes and the span's status
    // (an error code a server is to blame for marks it Error). Without them a failed call was a plain "POST" with 200.
    // A caller that left while its message was read is Cancelled as the call's metric says, by the read's failure:
    // Kestrel fails the read before it signals RequestAborted (on the thread pool), and a span that looked at
    // RequestAborted alone said OK for most calls reset on a connection that had served one before.
    private static async Task TagAsync(Task routed, HttpContext context, Activity activity)
    {
        try
        {
            await routed.ConfigureAwait(false);
        }
        finally
        {
            var left = context.RequestAborted.IsCancellationRequested
                || context.Features.Get<GatewayRequest>() is { CallerLeft: true }
                || context.Features.Get<CallerLeftBeforeRouting>() is not null;
            var status = InferenceForwarder.GrpcStatusOf(context) ?? (int)(left ? Grpc.Core.StatusCode.Cancelled : Grpc.Core.StatusCode.OK);
            activity.SetTag("grpc.method", context.Request.Path.Value);
            activity.SetTag("grpc.status_code", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private Task RouteAsync(HttpContext context, bool streaming)
    {
        if (!IsGrpcContentType(context.Request.ContentType))
        {
            // Refused here, as the worker would (415, grpc-status INTERNAL), which counted against the version routed to:
            // any caller could fail a canary into automatic rollback with "application/grpc-web". With the worker's status
            // and message: a bare 415 told the caller nothing (found by the gRPC HTTP/2 sweep).
            return UnsupportedContentTypeAsync(context);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // Kestrel's limit is MaxRequestBytes; a gRPC body may hold that much message after its 5-byte frame header.
            // A stream's body has no end to limit: the first message is checked here, every message by the worker.
            size.MaxRequestBodySize = streaming ? null : options.Value.MaxRequestBytes + GrpcLeadingFields.FrameHeaderLength;
        }

        if (streaming && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            // A stream may sit idle between messages (Kestrel would cut a body slower than 240 bytes/s after 5 s), as grpc-dotnet allows its streams.
            rate.MinDataRate = null;
        }

        // The message usually came with the headers: then the fields are read at once, and the forward's task is
        // this call's, with no state machine of this method's own (one per call otherwise).
        var peek = PeekAsync(context.Request.BodyReader, context.Request.Headers, context.RequestAborted);
        if (!peek.IsCompletedSuccessfully)
        {
            return CompleteAsync(context, peek, streaming);
        }

        var outcome = peek.Result;
        return outcome.Error is null ? ForwardAsync(context, outcome, streaming).AsTask() : RefuseAsync(context, outcome, streaming);
    }

    // grpc-dotnet's answer at the worker, word for word.
    private static Task UnsupportedContentTypeAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        response.Headers["grpc-status"] = ((int)Grpc.Core.StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = GatewayErrors.PercentEncode(context.Request.ContentType is { } type
            ? $"Content-Type '{type}' is not supported."
            : "Content-Type is missing from the request.");
        return response.CompleteAsync();
    }

    /// <summary>
    /// grpc-dotnet's rule, which the worker applies: <c>application/grpc</c> in any case, alone or followed by <c>+</c> (a
    /// message format such as <c>+proto</c>) or <c>;</c> (parameters); <c>application/grpc-web</c> or <c>application/grpcx</c> is not gRPC.
    /// </summary>
    internal static bool IsGrpcContentType(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == "application/grpc".Length || contentType["application/grpc".Length] is '+' or ';');

    private async Task CompleteAsync(HttpContext context, ValueTask<Outcome> peek, bool streaming)
    {
        Outcome outcome;
        try
        {
            var deadline = PeekDeadline(context);
            try
            {
                outcome = await peek.ConfigureAwait(false);
            }
            finally
            {
                deadline?.Dispose();
            }

            if (deadline is { Passed: true })
            {
                // The deadline woke the read before the message's leading fields came (or as they came: the reader then
                // holds the cancel, so nothing is forwarded). Unbounded, the wait held the call until Kestrel's minimum
                // body data rate closed the caller's whole HTTP/2 connection (GOAWAY, no status).
                metrics.Observe(GatewayMetrics.InvalidModel, "", "", streaming ? GatewayMetrics.StreamProtocol : "grpc", GatewayMetrics.GrpcCode((int)Grpc.Core.StatusCode.DeadlineExceeded), 0);
                await GatewayErrors.WriteGrpcAsync(context, Grpc.Core.StatusCode.DeadlineExceeded, GrpcTimeout.PassedBeforeRequest).ConfigureAwait(false);
                return;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // More body arrived than the limit allows before the leading fields were read.
            metrics.Observe(GatewayMetrics.InvalidModel, "", "", "grpc", GatewayMetrics.GrpcCode((int)Grpc.Core.StatusCode.ResourceExhausted), 0);
            await GatewayErrors.WriteAsync(context, RouteError.TooLarge(options.Value.MaxRequestBytes), grpc: true).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The caller reset the stream or went away before its message's leading fields were read (Kestrel fails the
            // read, even of bytes that came, once the stream is reset): counted, as a request no model could be taken from.
            // Such calls were counted nowhere, by the gateway or a worker.
            context.Features.Set(CallerLeftBeforeRouting.Instance);
            metrics.Observe(GatewayMetrics.InvalidModel, "", "", streaming ? GatewayMetrics.StreamProtocol : "grpc", GatewayMetrics.GrpcCode((int)Grpc.Core.StatusCode.Cancelled), 0);
            return;
        }

        if (outcome.Error is null)
        {
            await ForwardAsync(context, outcome, streaming).ConfigureAwait(false);
        }
        else
        {
            await RefuseAsync(context, outcome, streaming).ConfigureAwait(false);
        }
    }

    // For a call with a grpc-timeout whose leading fields did not come with its headers: cancels the pending read of the
    // body at the deadline (the read then ends as if the body had), or null without a grpc-timeout.
    private static BodyReadDeadline? PeekDeadline(HttpContext context) =>
        GrpcTimeout.TryParse(context.Request.Headers[GrpcTimeout.Header].ToString(), out var timeout) && timeout < TimeSpan.FromDays(1)
            ? new BodyReadDeadline(context.Request.BodyReader, timeout)
            : null;

    /// <summary>Cancels a body's pending read when a time passes; disposed, it waits out a cancel already running.</summary>
    private sealed class BodyReadDeadline : IDisposable
    {
        private readonly CancellationTokenSource _timer;
        private readonly CancellationTokenRegistration _cancel;

        public BodyReadDeadline(PipeReader reader, TimeSpan after)
        {
            _timer = new CancellationTokenSource(after);
            _cancel = _timer.Token.UnsafeRegister(static reader => PipeWake.CancelPendingRead((PipeReader)reader!), reader);
        }

        /// <summary>Whether the time passed (and the read was cancelled); read it after <see cref="Dispose"/>.</summary>
        public bool Passed => _timer.IsCancellationRequested;

        public void Dispose()
        {
            _cancel.Dispose(); // waits for the callback if it is running, so no cancel lands on a later read unseen
            _timer.Dispose();
        }
    }

    private ValueTask ForwardAsync(HttpContext context, Outcome routed, bool streaming)
    {
        var request = new GatewayRequest(routed.Model!, routed.Choice, grpc: true) { BodyBytes = GrpcLeadingFields.FrameHeaderLength + routed.MessageLength, Streaming = streaming };
        if (streaming)
        {
            return forwarder.ForwardAsync(context, request, routed.Policy); // streamed through, never held whole
        }

        // A unary call's message is held whole while it is forwarded: its share of the memory budget until the answer.
        var share = request.BodyBytes.GetValueOrDefault();
        try
        {
            memory.Take(share, share);
        }
        catch (InferenceException e)
        {
            metrics.Observe(routed.Model!.Name, routed.Choice.Version?.Version ?? "", routed.Choice.Arm, "grpc", GatewayMetrics.GrpcCode((int)e.GrpcStatus), 0);
            return new ValueTask(GatewayErrors.WriteAsync(context, new RouteError(e.Code, e.Message, e.HttpStatusOverride), grpc: true));
        }

        return ForwardHoldingAsync(context, request, routed.Policy, share);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardHoldingAsync(HttpContext context, GatewayRequest request, TrafficPolicy? policy, long share)
    {
        try
        {
            await forwarder.ForwardAsync(context, request, policy).ConfigureAwait(false);
        }
        finally
        {
            memory.Give(share);
        }
    }

    private Task RefuseAsync(HttpContext context, Outcome refused, bool streaming)
    {
        if (streaming && refused.Empty)
        {
            // A stream closed before any message: nothing to route, nothing to answer (as a worker ends it).
            return GatewayErrors.WriteGrpcAsync(context, Grpc.Core.StatusCode.OK, "");
        }

        var error = refused.Error!;
        if (refused.Model is { } model)
        {
            outcomes.RecordUnready(model.Name, refused.Choice, refused.Policy);
        }

        var unready = refused.Model is null ? null : refused.Choice.Unready;
        // A model the gateway doesn't serve is _unknown; a message it could not take a model from (a bad name, malformed) _invalid.
        var label = refused.Model?.Name ?? (error.GrpcStatus == Grpc.Core.StatusCode.NotFound ? GatewayMetrics.UnknownModel : GatewayMetrics.InvalidModel);
        metrics.Observe(label, unready ?? "", unready is null ? "" : refused.Choice.Arm, streaming ? GatewayMetrics.StreamProtocol : "grpc", GatewayMetrics.GrpcCode((int)error.GrpcStatus), 0);
        return GatewayErrors.WriteAsync(context, error, grpc: true);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> PeekAsync(PipeReader reader, IHeaderDictionary headers, CancellationToken cancellationToken)
    {
        var examinedAll = false;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            var (view, fields) = Leading(buffer, read.IsCompleted || read.IsCanceled, headers);
            if (fields.Status == LeadingFieldsStatus.NeedMoreData && buffer.Length < PeekLimit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                examinedAll = true;
                continue;
            }

            var outcome = Route(view, fields, headers) with { Empty = buffer.IsEmpty };

            // Consume nothing: the forwarder reads the body from its first byte. The examined mark
            // may not move back, so it stays at the end once everything has been looked at.
            reader.AdvanceTo(buffer.Start, examinedAll ? buffer.End : buffer.Start);
            return outcome;
        }
    }

    // The leading fields, and the bytes their ranges point into: the body itself, or for a gzip-compressed
    // message the inflated start of it (its length stays the compressed one, which is what travels and is limited).
    private static (ReadOnlySequence<byte> View, LeadingFields Fields) Leading(ReadOnlySequence<byte> buffer, bool isCompleted, IHeaderDictionary headers)
    {
        if (buffer.Length < GrpcLeadingFields.FrameHeaderLength || buffer.FirstSpan[0] != 1)
        {
            return (buffer, GrpcLeadingFields.Parse(buffer, isCompleted));
        }

        var inflated = GrpcCompressedPrefix.Inflate(buffer, headers[GatewayHeaders.GrpcEncoding].FirstOrDefault(), isCompleted);
        if (inflated.Error is { } error)
        {
            return (buffer, inflated.UnsupportedEncoding ? LeadingFields.UnsupportedEncoding(error) : LeadingFields.Invalid(error));
        }

        if (inflated.Frame is not { } frame)
        {
            return (buffer, LeadingFields.NeedMoreData);
        }

        var view = new ReadOnlySequence<byte>(frame);
        var fields = GrpcLeadingFields.Parse(view, isCompleted: true);
        return (view, fields.Status == LeadingFieldsStatus.Ok ? fields with { MessageLength = inflated.MessageLength } : fields);
    }

    private Outcome Route(ReadOnlySequence<byte> buffer, LeadingFields fields, IHeaderDictionary headers)
    {
        if (fields.Status == LeadingFieldsStatus.NeedMoreData)
        {
            return Fail(RouteError.Invalid($"model_name and model_version must come first in the message, within {PeekLimit} bytes"));
        }

        if (fields.Status == LeadingFieldsStatus.Invalid)
        {
            return Fail(RouteError.Invalid(fields.Error!));
        }

        if (fields.Status == LeadingFieldsStatus.UnsupportedEncoding)
        {
            return Fail(RouteError.UnsupportedEncoding(fields.Error!, GrpcCompressedPrefix.AcceptEncoding));
        }

        if (fields.MessageLength > options.Value.MaxRequestBytes)
        {
            return Fail(RouteError.TooLarge(options.Value.MaxRequestBytes, "message"));
        }

        Span<char> name = stackalloc char[GrpcLeadingFields.MaxFieldBytes];
        Span<char> version = stackalloc char[GrpcLeadingFields.MaxFieldBytes];
        if (fields.Name is not { Length: > 0 } nameRange)
        {
            return Fail(RouteError.Invalid("model_name is required"));
        }

        if (!TryDecode(buffer, nameRange, name, out var nameLength) || !Names.IsValidName(name[..nameLength]))
        {
            return Fail(RouteError.Invalid("model name is not valid: names are 1-128 characters of letters, digits, '_', '.' and '-', starting with a letter or digit"));
        }

        var versionLength = 0;
        if (fields.Version is { } versionRange && !TryDecode(buffer, versionRange, version, out versionLength))
        {
            return Fail(RouteError.Invalid("model_version is not valid UTF-8"));
        }

        var table = routing.Table;
        if (!table.TryGetModel(name[..nameLength], out var model))
        {
            return Fail(RouteError.UnknownModel(name[..nameLength]));
        }

        var policy = policies.Find(model.Name);
        var choice = VersionChooser.Choose(model, version[..versionLength], headers, policy);
        return new Outcome(model, choice, policy, choice.Error, fields.MessageLength);
    }

    private static bool TryDecode(ReadOnlySequence<byte> buffer, FieldRange range, Span<char> destination, out int written)
    {
        Span<byte> bytes = stackalloc byte[GrpcLeadingFields.MaxFieldBytes];
        buffer.Slice(range.Offset, range.Length).CopyTo(bytes);
        var status = Utf8.ToUtf16(bytes[..range.Length], destination, out _, out written, replaceInvalidSequences: false);
        return status == OperationStatus.Done;
    }

    private static Outcome Fail(RouteError error) => new(null, default, null, error);

    /// <summary>The feature that says a call's caller left before its message's leading fields were read (no <see cref="GatewayRequest"/> exists then).</summary>
    private sealed class CallerLeftBeforeRouting
    {
        public static readonly CallerLeftBeforeRouting Instance = new();
    }

    private readonly record struct Outcome(ModelRoute? Model, VersionChoice Choice, TrafficPolicy? Policy, RouteError? Error, long MessageLength = 0)
    {
        /// <summary>The body ended before any of it arrived.</summary>
        public bool Empty { get; init; }
    }
}
