using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Serving.Gateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// Forwards one unary call to a worker: gRPC ModelInfer, and REST infer calls whose body is small and of known
/// length (<see cref="Takes"/>). The caller's body is read whole first (a retry on another worker sends the same
/// bytes) and goes to the worker as one body, untouched, as through YARP. YARP's forwarder streams every body: the
/// message and the end of the stream went to the worker in separate writes (and a gRPC answer came back in pieces),
/// and its copy loops cost more than the call. gRPC: the worker's headers, message and trailers are written back in
/// one go. REST: the worker's answer is copied back as it comes, with its Content-Length. A REST body that is large
/// or of unknown length still streams through YARP (<see cref="GatewayTransformer"/>).
/// </summary>
internal sealed class UnaryForwarder(IOptions<GatewayOptions> options)
{
    // Headers that belong to one hop (RFC 9110 §7.6.1, and HTTP/2's connection-specific ones): never copied.
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer",
        "Proxy-Authorization", "Proxy-Authenticate", "HTTP2-Settings", "Alt-Svc", "Content-Length",
    };

    // Request headers the forwarder sets itself: the body's type, the worker's host, and the routing hints, which
    // a caller must not be able to choose for itself.
    private static readonly HashSet<string> OwnRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Type", GatewayHeaders.ChosenVersion, GatewayHeaders.RoutedModel, GatewayHeaders.Arm,
    };

    /// <summary>Workers' ModelInfer addresses, parsed once each; cleared past <see cref="MaxCachedUris"/> (workers found by DNS come and go).</summary>
    private readonly ConcurrentDictionary<string, Uri> _inferUris = new(StringComparer.Ordinal);

    internal const int MaxCachedUris = 1024;

    /// <summary>Worker addresses held right now.</summary>
    internal int CachedUris => _inferUris.Count;

    /// <summary>REST bodies of at most this many bytes (by their Content-Length) go through here; larger ones stream through YARP with <c>Expect: 100-continue</c>.</summary>
    public const long MaxRestBodyBytes = 64 * 1024;

    /// <summary>
    /// The result of a call the worker answered with "no such model or version" when the routing table says it has it
    /// (<c>mayRetry</c>): nothing was written to the caller, and another worker of the version may take the call.
    /// </summary>
    public const ForwarderError NotServedHere = ForwarderError.NoAvailableDestinations;

    /// <summary>Whether the call goes through here: every unary gRPC call, and a REST call with a Content-Length up to <see cref="MaxRestBodyBytes"/>.</summary>
    public static bool Takes(GatewayRequest request) => request.Grpc ? !request.Streaming : request.BodyBytes is >= 0 and <= MaxRestBodyBytes;

    /// <summary>
    /// Sends the call to <paramref name="destinationPrefix"/> over HTTP <paramref name="version"/> (gRPC: 2) and
    /// copies the answer to the caller.
    /// </summary>
    /// <returns>What failed, if anything, and the exception behind it.</returns>
    /// <param name="mayRetry">
    /// True when another worker could take the call: a worker that answers that it doesn't have the model or version
    /// (REST 404, gRPC NOT_FOUND) then answers nothing to the caller and the result is <see cref="NotServedHere"/>.
    /// </param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(ForwarderError Error, Exception? Exception)> SendAsync(
        HttpContext context, GatewayRequest request, byte[] body, string destinationPrefix, Version version, ForwarderClients clients, bool mayRetry)
    {
        using var outgoing = request.Grpc ? CreateGrpcRequest(context, request, destinationPrefix, body) : CreateRestRequest(context, request, destinationPrefix, body, version);
        clients.PropagateTraceContext(context.Request.Headers, outgoing.Headers);
        using var activity = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var timeout = options.Value.ActivityTimeout;
        activity.CancelAfter(timeout);

        HttpResponseMessage response;
        try
        {
            response = await clients.Primary.SendAsync(outgoing, activity.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return (Classify(context, activity, ForwarderError.Request, ForwarderError.RequestCanceled, ForwarderError.RequestTimedOut), e);
        }

        if (mayRetry && IsNotFound(request, response))
        {
            // The version was ready there at the last probe: the worker unloaded it, or came back without it. It ran nothing.
            response.Dispose();
            return (NotServedHere, null);
        }

        using (response)
        {
            activity.CancelAfter(timeout);
            var httpResponse = context.Response;
            httpResponse.StatusCode = (int)response.StatusCode;
            CopyHeaders(response.Headers, httpResponse.Headers);
            CopyHeaders(response.Content.Headers, httpResponse.Headers);
            if (!httpResponse.Headers.ContainsKey(GatewayHeaders.ServedVersion))
            {
                httpResponse.Headers[GatewayHeaders.ServedVersion] = request.Version.Version;
            }

            if (!request.Grpc)
            {
                // As it comes, with the worker's length (CopyHeaders leaves Content-Length out): a small answer
                // leaves in one write with its headers, a large one is not held here whole.
                httpResponse.ContentLength = response.Content.Headers.ContentLength;
                try
                {
                    await response.Content.CopyToAsync(httpResponse.Body, activity.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    if (httpResponse.HasStarted)
                    {
                        context.Abort(); // part of the answer went out: the caller must not take it for the whole
                    }
                    else
                    {
                        httpResponse.Clear();
                        httpResponse.StatusCode = StatusCodes.Status502BadGateway;
                    }

                    return (Classify(context, activity, ForwarderError.ResponseBodyDestination, ForwarderError.ResponseBodyCanceled, ForwarderError.ResponseBodyDestination), e);
                }

                await httpResponse.CompleteAsync().ConfigureAwait(false);
                return (ForwarderError.None, null);
            }

            byte[] answer;
            int length;
            try
            {
                (answer, length) = await ReadAnswerAsync(response.Content, activity.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                // Nothing of the answer went to the caller yet: the forward loop answers with an error instead.
                httpResponse.Clear();
                httpResponse.StatusCode = StatusCodes.Status502BadGateway;
                return (Classify(context, activity, ForwarderError.ResponseBodyDestination, ForwarderError.ResponseBodyCanceled, ForwarderError.ResponseBodyDestination), e);
            }

            // Into the body writer without a flush: the headers, the message and the trailers leave together at
            // CompleteAsync (Stream.WriteAsync would flush the headers and the message on their own). The answer was
            // read whole first, so a worker that breaks off leaves nothing half-written here. No message (an error's
            // trailers-only answer: grpc-status among the headers) is not written at all: touching the body writer
            // starts the response, and Kestrel then ends it with an empty DATA frame instead of ending the HEADERS
            // frame's stream, a framing grpcio (Triton's and KServe's Python clients) reads as UNKNOWN "Stream removed".
            try
            {
                if (length > 0)
                {
                    httpResponse.BodyWriter.Write(answer.AsSpan(0, length));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(answer);
            }

            if (response.TrailingHeaders.NonValidated.Count > 0 && httpResponse.SupportsTrailers())
            {
                foreach (var (name, values) in response.TrailingHeaders.NonValidated)
                {
                    if (!HopHeaders.Contains(name))
                    {
                        httpResponse.AppendTrailer(name, ToStringValues(values));
                    }
                }
            }

            await httpResponse.CompleteAsync().ConfigureAwait(false);
            return (ForwarderError.None, null);
        }
    }

    // REST 404, or gRPC NOT_FOUND in a trailers-only answer (grpc-status among the headers).
    private static bool IsNotFound(GatewayRequest request, HttpResponseMessage response) => request.Grpc
        ? response.Headers.NonValidated.TryGetValues("grpc-status", out var status) && status.ToString() == "5"
        : response.StatusCode == HttpStatusCode.NotFound;

    /// <summary>
    /// The caller's whole body, read once before the first attempt (a retry on another worker sends the same bytes):
    /// one gRPC message for a unary call, though a caller may send more (the worker then refuses it, as it would
    /// directly), or a REST body of at most <see cref="MaxRestBodyBytes"/>. Kestrel bounds it: <see cref="GrpcInferEndpoint"/>
    /// sets the request's body limit before peeking, and a REST body stops at its Content-Length.
    /// </summary>
    /// <exception cref="BadHttpRequestException">The body is larger than the gateway's limit, or could not be read.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<byte[]> ReadBodyAsync(HttpContext context, CancellationToken deadline = default)
    {
        // No cancellation token for REST: when the caller goes away Kestrel ends the read itself (an IOException, or a 400
        // BadHttpRequestException for a body that ended early), and a read cancelled part way leaves Kestrel's reader
        // mid-read, whose drain of an HTTP/1.1 body then fails with a warning and a stack in the log ("Reading is
        // already in progress"), one per caller that hung up mid-body. A caller that stalls is cut off by Kestrel's
        // minimum request body data rate. A gRPC call (HTTP/2, no drain) is read within its deadline, when it has one.
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(deadline).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (read.IsCompleted)
            {
                var body = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return body;
            }

            // Wait for the end of the stream; everything so far stays unconsumed.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // The worker's whole answer (one message, or none for an error) in a pooled buffer the caller returns.
    // ReadAsStream: the response's stream is there once its headers are (ReadAsStreamAsync wraps it in a Task).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(byte[] Buffer, int Length)> ReadAnswerAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        try
        {
            await using var stream = content.ReadAsStream(cancellationToken);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    // As YARP's empty transform copies a REST call (GatewayTransformer), with the query string.
    private static HttpRequestMessage CreateRestRequest(HttpContext context, GatewayRequest request, string destinationPrefix, byte[] body, Version version)
    {
        var incoming = context.Request;
        var outgoing = new HttpRequestMessage(HttpMethod.Post, new Uri(string.Concat(destinationPrefix, incoming.Path.ToUriComponent(), incoming.QueryString.ToUriComponent()), UriKind.Absolute))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        CopyRequestHeaders(incoming, outgoing);

        outgoing.Headers.TryAddWithoutValidation(GatewayHeaders.ChosenVersion, request.Version.Version);
        outgoing.Headers.TryAddWithoutValidation(GatewayHeaders.Arm, request.Arm);
        return outgoing;
    }

    // Every header but the hop-by-hop ones and the routing hints; the body's own (Content-Type, Content-Encoding) on
    // the content. No Expect: the body is here already.
    private static void CopyRequestHeaders(HttpRequest incoming, HttpRequestMessage outgoing)
    {
        foreach (var (name, values) in incoming.Headers)
        {
            if (name.Length == 0 || name[0] == ':' || HopHeaders.Contains(name) || OwnRequestHeaders.Contains(name)
                || name.Equals(HeaderNames.Expect, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var headers = name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? (HttpHeaders)outgoing.Content!.Headers : outgoing.Headers;
            if (values.Count == 1)
            {
                headers.TryAddWithoutValidation(name, values.ToString());
            }
            else
            {
                headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        if (incoming.ContentType is { } type)
        {
            outgoing.Content!.Headers.TryAddWithoutValidation(HeaderNames.ContentType, type);
        }
    }

    private HttpRequestMessage CreateGrpcRequest(HttpContext context, GatewayRequest request, string destinationPrefix, byte[] body)
    {
        var incoming = context.Request;
        var outgoing = new HttpRequestMessage(HttpMethod.Post, DestinationUri(destinationPrefix, incoming.Path.Value))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new UnaryContent(body),
        };
        CopyRequestHeaders(incoming, outgoing);

        outgoing.Headers.TryAddWithoutValidation("TE", "trailers");
        outgoing.Headers.TryAddWithoutValidation(GatewayHeaders.ChosenVersion, request.Version.Version);
        outgoing.Headers.TryAddWithoutValidation(GatewayHeaders.Arm, request.Arm);
        outgoing.Headers.TryAddWithoutValidation(GatewayHeaders.RoutedModel, request.Model.Name);
        return outgoing;
    }

    /// <summary>
    /// The worker's address for the call. ModelInfer's (the only path this forwarder is mapped to) is parsed once per
    /// worker: a string and a <see cref="Uri"/> per request were a few percent of what the gateway allocated.
    /// </summary>
    internal Uri DestinationUri(string destinationPrefix, string? path)
    {
        if (!string.Equals(path, GatewayHeaders.GrpcInferPath, StringComparison.Ordinal))
        {
            return new Uri(string.Concat(destinationPrefix, path), UriKind.Absolute);
        }

        if (_inferUris.TryGetValue(destinationPrefix, out var uri))
        {
            return uri;
        }

        if (_inferUris.Count >= MaxCachedUris)
        {
            _inferUris.Clear();
        }

        return _inferUris.GetOrAdd(destinationPrefix, static prefix => new Uri(string.Concat(prefix, GatewayHeaders.GrpcInferPath), UriKind.Absolute));
    }

    private static void CopyHeaders(HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var (name, values) in from.NonValidated)
        {
            if (!HopHeaders.Contains(name))
            {
                to[name] = ToStringValues(values);
            }
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            return values.ToString();
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return array;
    }

    private static ForwarderError Classify(HttpContext context, CancellationTokenSource activity, ForwarderError failed, ForwarderError cancelled, ForwarderError timedOut) =>
        context.RequestAborted.IsCancellationRequested ? cancelled
        : activity.IsCancellationRequested ? timedOut
        : failed;

    // The message as one body: written in one call and not flushed, so the end of the stream goes with it. No
    // Content-Length (ByteArrayContent would send one): a worker whose own limit is smaller then refuses the message
    // with RESOURCE_EXHAUSTED as gRPC does, instead of refusing the request by its declared length (LargeBodyTests).
    private sealed class UnaryContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(body).AsTask();

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            stream.WriteAsync(body, cancellationToken).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
