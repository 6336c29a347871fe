using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Serving.Gateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// Forwards one unary gRPC call (ModelInfer) to a worker: the caller's message is read whole (its length is known
/// from the frame the endpoint peeked at), sent as one HTTP/2 body, and the worker's headers, message and trailers
/// are written back in one go. The bytes are untouched, as through YARP. YARP's forwarder treats every gRPC call as a
/// stream that may never end, so it flushes each piece on its own: the message and the end of the stream went to the
/// worker in separate writes, and the answer back in pieces. A unary call needs none of that.
/// </summary>
internal sealed class GrpcUnaryForwarder(IOptions<GatewayOptions> options)
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

    /// <summary>Sends the call to <paramref name="destinationPrefix"/> and copies the answer to the caller.</summary>
    /// <returns>What failed, if anything, and the exception behind it.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(ForwarderError Error, Exception? Exception)> SendAsync(
        HttpContext context, GatewayRequest request, byte[] body, string destinationPrefix, ForwarderClients clients)
    {
        using var outgoing = CreateRequest(context, request, destinationPrefix, body);
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
            // read whole first, so a worker that breaks off leaves nothing half-written here.
            try
            {
                httpResponse.BodyWriter.Write(answer.AsSpan(0, length));
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

    /// <summary>
    /// The caller's whole body, read once before the first attempt (a retry on another worker sends the same bytes):
    /// one gRPC message for a unary call, though a caller may send more (the worker then refuses it, as it would
    /// directly). Kestrel bounds it: <see cref="GrpcInferEndpoint"/> sets the request's body limit before peeking.
    /// </summary>
    /// <exception cref="BadHttpRequestException">The body is larger than the gateway's limit, or could not be read.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<byte[]> ReadBodyAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var cancellationToken = context.RequestAborted;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
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

    private HttpRequestMessage CreateRequest(HttpContext context, GatewayRequest request, string destinationPrefix, byte[] body)
    {
        var incoming = context.Request;
        var outgoing = new HttpRequestMessage(HttpMethod.Post, DestinationUri(destinationPrefix, incoming.Path.Value))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new UnaryContent(body),
        };
        outgoing.Content.Headers.TryAddWithoutValidation("Content-Type", incoming.ContentType);
        foreach (var (name, values) in incoming.Headers)
        {
            if (name.Length == 0 || name[0] == ':' || HopHeaders.Contains(name) || OwnRequestHeaders.Contains(name))
            {
                continue;
            }

            if (values.Count == 1)
            {
                outgoing.Headers.TryAddWithoutValidation(name, values.ToString());
            }
            else
            {
                outgoing.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

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
