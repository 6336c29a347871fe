using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Metrics;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Hosting.Tracing;

namespace Serving.Gateway.Shadow;

/// <summary>
/// Sends a copy of N% of a model's requests to its shadow version and compares the answers. The
/// copy leaves as soon as the body is read and runs beside the primary on its own client, with its
/// own timeout and a cap on copies in flight; nothing on the primary's path waits for it, so a
/// slow or dead shadow can neither delay nor fail the caller's answer.
/// </summary>
/// <remarks>
/// Disposed with the gateway's services when it stops, it ends the copies still in flight: disposing the shadow's
/// client ends none of them (an HTTP/2 connection stays up for the streams open on it), so a stalled shadow held them,
/// and its connections, for up to <c>ShadowTimeout</c> after the gateway had stopped.
/// </remarks>
internal sealed partial class ShadowMirror(
    ForwarderClients clients, IOptions<GatewayOptions> options, GatewayMetrics metrics, ShadowStats stats, ILogger<ShadowMirror> logger) : IDisposable
{
    private readonly CancellationTokenSource _stopped = new();
    private int _inFlight;

    /// <summary>Copies in flight (for tests and the admin API).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// The version to copy this request to, or null. Only requests whose version the gateway chose
    /// are copied: a request that names its version (in a gRPC body) can't be redirected unread.
    /// When it returns a version, a slot is reserved that <see cref="Start"/> releases.
    /// </summary>
    public VersionRoute? Select(GatewayRequest request, TrafficPolicy? policy)
    {
        if (policy?.Shadow is not { } shadow || !request.PolicyChose || request.Streaming || shadow.Version == request.Version.Version
            || Random.Shared.Next(100) >= shadow.Percent)
        {
            return null;
        }

        if (!request.Model.TryGetVersion(shadow.Version, out var target) || !target.IsReady)
        {
            Count(request, shadow.Version, ShadowResults.NoWorker);
            return null;
        }

        // The copy holds the whole body in memory: only bodies of known, bounded length are copied.
        if (request.BodyBytes is not { } bytes || bytes > options.Value.ShadowMaxRequestBytes)
        {
            Count(request, shadow.Version, ShadowResults.TooLarge);
            return null;
        }

        if (Interlocked.Increment(ref _inFlight) > options.Value.ShadowMaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            Count(request, shadow.Version, ShadowResults.Dropped);
            return null;
        }

        return target;
    }

    /// <summary>
    /// Sends the copy of a request <see cref="Select"/> chose, once the forwarder read its body, and lets the primary
    /// forward from that body and keep a copy of its answer; null, with the slot given back, when there is no copy: no
    /// body (the read failed, or a gRPC call's deadline passed first), or one larger than <c>ShadowMaxRequestBytes</c>
    /// (a gRPC body may go on past the message its frame declared).
    /// </summary>
    public ShadowCopy? Start(HttpContext context, GatewayRequest request, VersionRoute target, byte[]? body)
    {
        if (body is null)
        {
            Interlocked.Decrement(ref _inFlight);
            return null;
        }

        context.Request.Body = new MemoryStream(body, writable: false);
        if (body.Length > options.Value.ShadowMaxRequestBytes)
        {
            Interlocked.Decrement(ref _inFlight);
            Count(request, target.Version, ShadowResults.TooLarge);
            return null;
        }

        var capture = new CapturingStream(context.Response.Body, options.Value.ShadowMaxResponseBytes);
        context.Response.Body = capture;
        var copy = new ShadowCopy(
            request, target, body, context.Request.Path.Value ?? "/", context.Request.ContentType,
            context.Request.Headers[GatewayHeaders.InferenceHeaderContentLength].FirstOrDefault(),
            context.Request.Headers[request.Grpc ? GatewayHeaders.GrpcEncoding : GatewayHeaders.ContentEncoding].ToString() is { Length: > 0 } encoding ? encoding : null,
            capture);
        _ = Task.Run(() => RunAsync(copy));
        return copy;
    }

    private async Task RunAsync(ShadowCopy copy)
    {
        // A child of the primary's span (the execution context flows into Task.Run); it may outlive it.
        using var span = ServingActivitySources.Gateway.StartActivity("gateway shadow copy");
        span?.SetTag("serving.model", copy.Primary.Model.Name);
        span?.SetTag("serving.version", copy.Target.Version);
        // The slot is held until the comparison is done: until then the copy holds the body, the shadow's answer and the
        // primary's captured one. Given back when the shadow answered, a fast shadow beside a slow primary held all that
        // for every primary in flight, past ShadowMaxInFlight.
        try
        {
            var started = Stopwatch.GetTimestamp();
            var answer = await SendAsync(copy).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var primary = await copy.PrimaryAnswer.ConfigureAwait(false);
            var result = Judge(copy, primary, answer);
            span?.SetTag("serving.shadow.result", result);
            Count(copy.Primary, copy.Target.Version, result);
            metrics.ShadowLatency(copy.Primary.Model.Name, copy.Primary.Version.Version, "primary", primary.Seconds);
            if (answer.Result is null)
            {
                metrics.ShadowLatency(copy.Primary.Model.Name, copy.Target.Version, "shadow", seconds);
            }

            if (result == ShadowResults.Disagree)
            {
                metrics.Disagreed(copy.Primary.Model.Name, copy.Primary.Version.Version, copy.Target.Version);
            }
        }
        catch (Exception e)
        {
            Log.CompareFailed(logger, copy.Primary.Model.Name, e);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task<ShadowAnswer> SendAsync(ShadowCopy copy)
    {
        var worker = DestinationPicker.Pick(copy.Target.Workers);
        if (worker is null)
        {
            return new ShadowAnswer(ShadowResults.NoWorker);
        }

        using var timeout = new CancellationTokenSource(options.Value.ShadowTimeout);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopped.Token);
        try
        {
            using var request = BuildRequest(copy, worker, clients);
            using var response = await clients.Shadow.SendAsync(request, ended.Token).ConfigureAwait(false);
            var (bytes, overflowed) = await ReadLimitedAsync(response.Content, options.Value.ShadowMaxResponseBytes, ended.Token).ConfigureAwait(false);
            // An answer given up at the limit had its trailers, and its grpc-status, left unread: too_large, not a failure.
            int? grpcStatus = copy.Primary.Grpc && !overflowed ? GrpcStatusOf(response) : null;
            var headerLength = response.Headers.TryGetValues(GatewayHeaders.InferenceHeaderContentLength, out var values) ? values.FirstOrDefault() : null;
            return new ShadowAnswer(null, (int)response.StatusCode, grpcStatus, bytes, headerLength, overflowed);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new ShadowAnswer(ShadowResults.Timeout);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            worker.ExcludeFor(options.Value.PassiveReactivationPeriod);
            return new ShadowAnswer(ShadowResults.ShadowError);
        }
        catch (Exception)
        {
            // The gateway stopping (Dispose), a disposed client, a cancelled stream: never let a copy fault escape.
            return new ShadowAnswer(ShadowResults.ShadowError);
        }
    }

    /// <summary>Ends the copies in flight (the gateway is stopping). The source is left undisposed: a copy that starts late still reads its token.</summary>
    public void Dispose() => _stopped.Cancel();

    private static HttpRequestMessage BuildRequest(ShadowCopy copy, Discovery.WorkerEndpoint worker, ForwarderClients clients)
    {
        var grpc = copy.Primary.Grpc;
        var (prefix, version) = grpc ? (worker.GrpcPrefix, HttpVersion.Version20) : clients.ShadowRestHop(worker);
        var request = new HttpRequestMessage(HttpMethod.Post, prefix + (grpc ? GatewayHeaders.GrpcInferPath : copy.Path))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(copy.Body),
        };
        if (copy.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            request.Content.Headers.ContentType = mediaType;
        }

        if (grpc)
        {
            request.Headers.TryAddWithoutValidation("te", "trailers");
            request.Headers.TryAddWithoutValidation(GatewayHeaders.RoutedModel, copy.Primary.Model.Name);
            if (copy.BodyEncoding is { } encoding)
            {
                request.Headers.TryAddWithoutValidation(GatewayHeaders.GrpcEncoding, encoding);
            }
        }
        else if (copy.BodyEncoding is { } encoding)
        {
            request.Content.Headers.TryAddWithoutValidation(GatewayHeaders.ContentEncoding, encoding);
        }

        if (copy.InferenceHeaderLength is { } length)
        {
            request.Headers.TryAddWithoutValidation(GatewayHeaders.InferenceHeaderContentLength, length);
        }

        request.Headers.TryAddWithoutValidation(GatewayHeaders.ChosenVersion, copy.Target.Version);
        request.Headers.TryAddWithoutValidation(GatewayHeaders.Arm, Arms.Shadow);
        clients.PropagateTraceContext(null, request.Headers);
        return request;
    }

    private string Judge(ShadowCopy copy, PrimaryAnswer primary, ShadowAnswer shadow)
    {
        // A primary cut off part way (an HTTP 200 whose body broke off) has no whole answer to compare.
        var primaryOk = primary.HttpStatus == 200 && (primary.GrpcStatus ?? 0) == 0 && !primary.Aborted;
        if (!primaryOk)
        {
            return ShadowResults.PrimaryError;
        }

        if (shadow.Result is { } failed)
        {
            return failed;
        }

        if (shadow.HttpStatus != 200 || (shadow.GrpcStatus ?? 0) != 0)
        {
            return ShadowResults.ShadowError;
        }

        if (shadow.Overflowed || copy.Capture.Overflowed)
        {
            return ShadowResults.TooLarge;
        }

        // The caller may have asked for a compressed answer (the copy never does): compare what it holds.
        var primaryBody = copy.Capture.Captured;
        if (!copy.Primary.Grpc && primary.ContentEncoding is { Length: > 0 } encoding && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            switch (CompressedAnswer.TryInflate(primaryBody, encoding, options.Value.ShadowMaxResponseBytes, out var inflated))
            {
                case CompressedAnswer.Outcome.TooLarge:
                    return ShadowResults.TooLarge;
                case CompressedAnswer.Outcome.Unreadable:
                    return ShadowResults.PrimaryError;
            }

            primaryBody = inflated;
        }

        var tolerance = options.Value.ShadowTolerance;
        return copy.Primary.Grpc
            ? InferResponseComparer.GrpcCompare(primaryBody, shadow.Body, tolerance)
            : InferResponseComparer.RestCompare(primaryBody, ParseLength(primary.InferenceHeaderLength), shadow.Body, ParseLength(shadow.InferenceHeaderLength), tolerance);
    }

    private void Count(GatewayRequest request, string shadowVersion, string result)
    {
        metrics.ShadowResult(request.Model.Name, shadowVersion, result);
        stats.Record(request.Model.Name, result);
    }

    private static async Task<(ReadOnlyMemory<byte> Bytes, bool Overflowed)> ReadLimitedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (ReadOnlyMemory<byte>.Empty, true);
                }

                buffer.Write(chunk, 0, read);
            }

            return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), false);
        }
    }

    private static int? GrpcStatusOf(HttpResponseMessage response)
    {
        var value = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.FirstOrDefault()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.FirstOrDefault() : null;
        return int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : 2;
    }

    private static int? ParseLength(string? value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    private readonly record struct ShadowAnswer(string? Result, int HttpStatus = 0, int? GrpcStatus = null, ReadOnlyMemory<byte> Body = default, string? InferenceHeaderLength = null, bool Overflowed = false);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Comparing a shadow answer for model {Model} failed")]
        public static partial void CompareFailed(ILogger logger, string model, Exception exception);
    }
}
