using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Discovery;
using Serving.Gateway.Metrics;
using Serving.Gateway.Rollback;
using Serving.Gateway.Shadow;
using Serving.Gateway.Traffic;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Hosting.Tracing;
using Serving.Protocol.Errors;
using Serving.Protocol.Wire;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// Forwards a routed request to a healthy worker of its version: gRPC and small REST calls with
/// <see cref="UnaryForwarder"/> (the body read whole, sent untouched), larger REST calls and ModelStreamInfer streams
/// with YARP's <see cref="IHttpForwarder"/> (the body streams through untouched; a stream whose worker side breaks off
/// ends as <see cref="StreamBreakGuard"/> decides). A request that could not connect is retried once on another
/// worker of the same version; once a worker has the request, nothing is retried. A worker that fails
/// is left out for a while (passive health), before the probes notice.
/// </summary>
internal sealed partial class InferenceForwarder(
    IHttpForwarder forwarder, UnaryForwarder unaryForwarder, ForwarderClients clients, GatewayTransformer transformer, ShadowMirror mirror,
    GatewayMetrics metrics, RollbackOutcomes outcomes, ReadinessState readiness, IOptions<GatewayOptions> options, ILogger<InferenceForwarder> logger)
{
    // Pooled builders here and down the gRPC path: each async layer that waits on the network otherwise allocates its state machine per request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ForwardAsync(HttpContext context, GatewayRequest request, TrafficPolicy? policy)
    {
        var started = Stopwatch.GetTimestamp();
        context.Features.Set(request);
        ShadowCopy? shadow = null;

        // The forward to the worker is this span's child, and the worker's spans join the same trace (traceparent).
        using var span = ServingActivitySources.Gateway.StartActivity("gateway route");
        span?.SetTag("serving.model", request.Model.Name);
        span?.SetTag("serving.version", request.Version.Version);
        span?.SetTag("serving.arm", request.Arm);
        span?.SetTag("serving.protocol", request.Protocol);
        try
        {
            byte[]? body = null;
            if (mirror.Select(request, policy) is { } target)
            {
                // Read as without a shadow (a gRPC call's within its grpc-timeout), before a copy can leave.
                try
                {
                    body = await ReadBodyAsync(context, request, started).ConfigureAwait(false);
                }
                finally
                {
                    shadow = mirror.Start(context, request, target, body);
                }

                if (body is null)
                {
                    return; // answered: its deadline passed first
                }
            }

            await ForwardWithRetryAsync(context, request, body, started).ConfigureAwait(false);
        }
        catch (Exception e) when (CallerGone.WhileReadingBody(context, e))
        {
            // The caller went away while its body was read; nobody is left to answer.
            request.CallerLeft = true;
        }
        catch (IOException e) when (CallerGone.IsBadChunkSize(e))
        {
            await GatewayErrors.WriteAsync(context, BodyUnreadable(e), request.Grpc).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await GatewayErrors.WriteAsync(context, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? RouteError.TooLarge(options.Value.MaxRequestBytes)
                : BodyUnreadable(e), request.Grpc).ConfigureAwait(false);
        }
        finally
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var response = context.Response;
            var grpcStatus = request.Grpc ? GrpcStatusOf(context) : (int?)null;
            // A gRPC caller that went away before the answer's status was written is counted Cancelled (DeadlineExceeded
            // when its grpc-timeout had passed: what the caller saw), not as HTTP 200; a REST caller that went away, 499.
            var aborted = request.CallerLeft || context.RequestAborted.IsCancellationRequested;
            var code = grpcStatus is { } g ? GatewayMetrics.GrpcCode(g)
                : request.Grpc && aborted ? GatewayMetrics.GrpcCode((int)(DeadlinePassed(context, started) ? Grpc.Core.StatusCode.DeadlineExceeded : Grpc.Core.StatusCode.Cancelled))
                : aborted && !response.HasStarted ? GatewayMetrics.ClientClosedRequest
                : GatewayMetrics.HttpCode(response.StatusCode);
            metrics.Observe(request.Model.Name, request.Version.Version, request.Arm, request.Protocol, code, seconds);
            shadow?.CompletePrimary(
                response.StatusCode, grpcStatus, aborted || request.AnswerBrokeOff, response.Headers[GatewayHeaders.InferenceHeaderContentLength].FirstOrDefault(), request.Grpc ? null : response.Headers.ContentEncoding.FirstOrDefault(), seconds);

            // Automatic rollback judges a version only by the requests the policy sent it, and not by callers who left.
            // A stream's status is not one request's outcome (a request that fails on it is answered in the stream).
            // An expiry of the caller's own deadline counts only when the baseline would have met it (RequestOutcomes.CallerBudget).
            if (policy?.Rollback is not null && request.Arm is Arms.Weight or Arms.Sticky && !request.Streaming && !aborted && !request.DeadlineBeforeBody
                && outcomes.Record(request.Model.Name, request.Version.Version, RequestOutcomes.Classify(response.StatusCode, grpcStatus), seconds,
                    RequestOutcomes.CallerBudget(context, request.Grpc, response.StatusCode, grpcStatus), policy.Revision))
            {
                metrics.ExcusedDeadline(request.Model.Name, request.Version.Version);
            }
        }
    }

    // bodyRead: the body already read for a shadow copy, when it was (it is then not read twice); started: the
    // request's arrival (a Stopwatch timestamp), against which a caller's grpc-timeout runs.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardWithRetryAsync(HttpContext context, GatewayRequest request, byte[]? bodyRead, long started)
    {
        WorkerEndpoint? failed = null;
        byte[]? body = null;
        if (UnaryForwarder.Takes(request) && (body = bodyRead ?? await ReadBodyAsync(context, request, started).ConfigureAwait(false)) is null)
        {
            return; // answered: its deadline passed first
        }

        for (var attempt = 0; ; attempt++)
        {
            var worker = DestinationPicker.Pick(request.Version.Workers, failed);
            if (worker is null)
            {
                var error = failed is null
                    ? RouteError.NoReadyWorker(request.Version)
                    : new RouteError(InferenceErrorCode.Unavailable, $"no worker of model '{request.Model.Name}' version {request.Version.Version} could be reached");
                await GatewayErrors.WriteAsync(context, error, request.Grpc).ConfigureAwait(false);
                return;
            }

            ForwarderError result;
            Exception? exception;
            var (prefix, config) = request.Grpc ? (worker.GrpcPrefix, clients.Http2) : clients.RestHop(worker, lengthKnown: request.BodyBytes is not null);
            worker.Enter();
            try
            {
                (result, exception) = await SendAsync(context, request, body, prefix, config, mayRetry: attempt == 0 && DestinationPicker.Pick(request.Version.Workers, worker) is not null, started).ConfigureAwait(false);
            }
            finally
            {
                worker.Leave();
            }

            // Part of the answer went out and the rest did not (the worker broke it off, or the caller left): no whole answer.
            request.AnswerBrokeOff = result != ForwarderError.None && context.Response.HasStarted;
            if (result == ForwarderError.None || context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            if (attempt == 0 && result == UnaryForwarder.NotServedHere)
            {
                // The worker no longer has the version (unloaded, restarted with another repository) and ran nothing; its
                // next probe takes it out of the version. Not a worker failure: it may serve other models.
                failed = worker;
                Log.NotServedHere(logger, worker.Name, request.Model.Name, request.Version.Version);
                Activity.Current?.AddEvent(new ActivityEvent("retry: the worker no longer has the version"));
                metrics.Retried(request.Model.Name, request.Version.Version);
                continue;
            }

            if (IsWorkerFault(result, exception))
            {
                worker.ExcludeFor(options.Value.PassiveReactivationPeriod);
                Log.WorkerFailed(logger, worker.Name, result.ToString(), exception?.Message ?? "");
            }

            if (attempt == 0 && result == ForwarderError.Request && IsConnectFailure(exception) && !context.Response.HasStarted)
            {
                // Nothing reached the worker and nothing of the body was read: safe to send elsewhere.
                failed = worker;
                Activity.Current?.AddEvent(new ActivityEvent("retry after connection failure"));
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status200OK;
                metrics.Retried(request.Model.Name, request.Version.Version);
                continue;
            }

            if (!context.Response.HasStarted)
            {
                await GatewayErrors.WriteAsync(context, Failure(context, request, result, exception, started), request.Grpc).ConfigureAwait(false);
            }

            return;
        }
    }

    // Unary gRPC and small REST calls (their body read already) through UnaryForwarder; ModelStreamInfer streams and
    // other REST calls through YARP, streams behind a StreamBreakGuard.
    private ValueTask<(ForwarderError, Exception?)> SendAsync(
        HttpContext context, GatewayRequest request, byte[]? body, string prefix, ForwarderRequestConfig config, bool mayRetry, long started) =>
        body is not null ? unaryForwarder.SendAsync(context, request, body, prefix, config.Version ?? HttpVersion.Version20, clients, mayRetry)
        : request.Streaming ? SendStreamAsync(context, request, prefix, config, started)
        : SendRestAsync(context, prefix, config);

    // A stream whose worker side breaks off ends UNAVAILABLE with the gateway's reason when the caller has whole
    // messages only (StreamBreakGuard), as a worker's own shutdown ends it, not CANCEL; DEADLINE_EXCEEDED when the worker
    // cancelled it at the caller's grpc-timeout (its status lost with the reset that follows it). When the gateway's drain begins,
    // the upload ends at a message boundary (StreamUpload): the worker answers what it was sent and ends the call, and
    // the caller's status becomes UNAVAILABLE (GatewayTransformer); shutdown waits for that, up to its drain timeout.
    private async ValueTask<(ForwarderError, Exception?)> SendStreamAsync(HttpContext context, GatewayRequest request, string prefix, ForwarderRequestConfig config, long started)
    {
        // Disposed once the answer, trailers included, is complete.
        context.Response.RegisterForDispose(readiness.EnterLongCall());
        var body = context.Request.Body;
        using var upload = new StreamUpload(context.Request.BodyReader, readiness.Draining);
        request.Upload = upload;
        context.Request.Body = upload;
        var guard = StreamBreakGuard.Install(context);
        try
        {
            var (result, exception) = await SendRestAsync(context, prefix, config).ConfigureAwait(false);
            if (guard.HeldReset is not null && WorkerBrokeOff(result, exception) && !context.RequestAborted.IsCancellationRequested)
            {
                await (CancelledByWorker(exception) && DeadlinePassed(context, started)
                    ? guard.EndBrokenAsync(context, StreamDeadlinePassed(request), Grpc.Core.StatusCode.DeadlineExceeded)
                    : guard.EndBrokenAsync(context, BrokenStream(request))).ConfigureAwait(false);
            }

            return (result, exception);
        }
        finally
        {
            guard.PassReset(context);
            guard.Remove(context);
            context.Request.Body = body;
            request.Upload = null;
        }
    }

    // The worker's side failed: reading its answer, or (when YARP saw the upload end first) its connection under the upload.
    private static bool WorkerBrokeOff(ForwarderError result, Exception? exception) => result switch
    {
        ForwarderError.ResponseBodyDestination => true,
        ForwarderError.RequestBodyClient or ForwarderError.RequestBodyDestination => Find<HttpIOException>(exception) is not null,
        _ => false,
    };

    private static string BrokenStream(GatewayRequest request) =>
        $"the worker serving model '{request.Model.Name}' version {request.Version.Version} broke off the stream (it went away or shut down): "
        + "open a new stream; requests on this one that got no answer may have run";

    private static string StreamDeadlinePassed(GatewayRequest request) =>
        $"the stream's deadline (grpc-timeout) passed: the worker serving model '{request.Model.Name}' version {request.Version.Version} ended it; "
        + "requests on it that got no answer did not finish";

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ForwarderError, Exception?)> SendRestAsync(HttpContext context, string prefix, ForwarderRequestConfig config)
    {
        var result = await forwarder.SendAsync(context, prefix, clients.Primary, config, transformer).ConfigureAwait(false);
        return (result, result == ForwarderError.None ? null : context.Features.Get<IForwarderErrorFeature>()?.Exception);
    }

    // What the caller is told when the forward failed before the worker's answer started. A body streamed through YARP
    // (no Content-Length) can turn out too large, or broken, while it is being sent: that is the caller's, not the worker's.
    // A worker that cancelled the call (RST_STREAM CANCEL) most likely did so at the caller's deadline.
    private RouteError Failure(HttpContext context, GatewayRequest request, ForwarderError result, Exception? exception, long started) => result switch
    {
        _ when CancelledByWorker(exception) => DeadlinePassed(context, started)
            ? new RouteError(InferenceErrorCode.DeadlineExceeded, $"the call's deadline (grpc-timeout) passed before the worker serving model '{request.Model.Name}' version {request.Version.Version} answered")
            : new RouteError(InferenceErrorCode.Unavailable, $"the worker serving model '{request.Model.Name}' version {request.Version.Version} cancelled the call before answering"),
        ForwarderError.RequestBodyClient when Find<BadHttpRequestException>(exception) is { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            RouteError.TooLarge(options.Value.MaxRequestBytes),
        ForwarderError.RequestBodyClient => BodyUnreadable(exception),
        ForwarderError.RequestTimedOut => new RouteError(
            InferenceErrorCode.DeadlineExceeded, $"the worker serving model '{request.Model.Name}' version {request.Version.Version} did not answer in time"),
        _ => new RouteError(
            InferenceErrorCode.Unavailable, $"the worker serving model '{request.Model.Name}' version {request.Version.Version} failed before answering"),
    };

    // A caller's body that could not be read, with Kestrel's reason, as the worker tells it: REST 408 when it came too slowly
    // (Kestrel's minimum body data rate), else 400; gRPC INVALID_ARGUMENT either way.
    private static RouteError BodyUnreadable(Exception? exception)
    {
        var bad = Find<BadHttpRequestException>(exception);
        var reason = bad?.Message ?? Find<IOException>(exception, CallerGone.IsBadChunkSize)?.Message ?? "it ended early";
        return new RouteError(
            InferenceErrorCode.InvalidArgument, "the request body could not be read: " + reason,
            bad?.StatusCode == StatusCodes.Status408RequestTimeout ? StatusCodes.Status408RequestTimeout : null);
    }

    // The first exception in the chain (and in each AggregateException's inner ones) that is a T (and matches).
    private static T? Find<T>(Exception? exception, Func<T, bool>? matches = null)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found && (matches is null || matches(found)))
            {
                return found;
            }

            if (e is AggregateException all)
            {
                return all.InnerExceptions.Select(inner => Find(inner, matches)).FirstOrDefault(found => found is not null);
            }
        }

        return null;
    }

    // Not RequestBodyDestination: a worker that refuses a body early (413 / RESOURCE_EXHAUSTED past its MaxRequestBytes)
    // resets the upload, and one caller's oversized body must not take a healthy worker out of rotation. A worker
    // that really died mid-upload fails the next request's connect, and the probes, soon enough.
    // Nor a stream the worker cancelled (RST_STREAM CANCEL) on a connection that lives on: it ended that call (at its
    // grpc-timeout, which the worker keeps too), and callers with short deadlines must not take workers out of rotation.
    private static bool IsWorkerFault(ForwarderError error, Exception? exception) =>
        error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseBodyDestination or ForwarderError.ResponseHeaders
        && !CancelledByWorker(exception);

    private const long Http2Cancel = 0x8;

    private static bool CancelledByWorker(Exception? exception) => Find<HttpProtocolException>(exception, e => e.ErrorCode == Http2Cancel) is not null;

    // The caller's clock started before the gateway's (its call was sent, its message read, before the forward began),
    // so a caller gone in the last fifth of its grpc-timeout is taken as its deadline passing, not as a cancel: on a busy
    // machine the gap was enough for a caller that saw DEADLINE_EXCEEDED to be counted Cancelled.
    // A unary call's body; a gRPC call's within its grpc-timeout (from its arrival), else null once DEADLINE_EXCEEDED is
    // answered. Read with no bound, a body that stopped coming held the call until Kestrel's minimum body data rate closed
    // the caller's whole HTTP/2 connection, seconds past the deadline and with no status (found by the gRPC HTTP/2 sweep).
    private static async ValueTask<byte[]?> ReadBodyAsync(HttpContext context, GatewayRequest request, long started)
    {
        var left = request.Grpc && GrpcTimeout.TryParse(context.Request.Headers[GrpcTimeout.Header].ToString(), out var timeout)
            ? timeout - Stopwatch.GetElapsedTime(started) : TimeSpan.MaxValue;
        if (left <= TimeSpan.Zero || left >= TimeSpan.FromDays(1))
        {
            return await UnaryForwarder.ReadBodyAsync(context).ConfigureAwait(false); // no deadline, or one the worker answers at once
        }

        using var deadline = new CancellationTokenSource(left);
        try
        {
            return await UnaryForwarder.ReadBodyAsync(context, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            request.DeadlineBeforeBody = true;
            await GatewayErrors.WriteGrpcAsync(context, Grpc.Core.StatusCode.DeadlineExceeded, GrpcTimeout.PassedBeforeRequest).ConfigureAwait(false);
            return null;
        }
    }

    private static bool DeadlinePassed(HttpContext context, long started) =>
        GrpcTimeout.TryParse(context.Request.Headers[GrpcTimeout.Header].ToString(), out var timeout) && Stopwatch.GetElapsedTime(started) >= timeout * 0.8;

    private static bool IsConnectFailure(Exception? exception) =>
        Find<HttpRequestException>(exception, e => e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError) is not null;

    /// <summary>The grpc-status the answer carries (in its headers or trailers), Unavailable for an HTTP error, or null when none was written.</summary>
    internal static int? GrpcStatusOf(HttpContext context)
    {
        var value = context.Response.Headers["grpc-status"];
        if (value.Count == 0 && context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers)
        {
            value = trailers["grpc-status"];
        }

        return int.TryParse(value.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            ? status
            : context.Response.StatusCode == StatusCodes.Status200OK ? null : (int)Grpc.Core.StatusCode.Unavailable;
    }

    private static partial class Log
    {
        [LoggerMessage(9, LogLevel.Debug, "Worker {Worker} answered that it doesn't have model {Model} version {Version}, which it had at its last probe: the request goes to another worker of the version")]
        public static partial void NotServedHere(ILogger logger, string worker, string model, string version);

        [LoggerMessage(1, LogLevel.Warning, "Worker {Worker} failed a forwarded request ({Error}: {Message}); leaving it out for a while")]
        public static partial void WorkerFailed(ILogger logger, string worker, string error, string message);
    }
}
