using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// For REST calls through YARP (a body over <see cref="UnaryForwarder.MaxRestBodyBytes"/> or of unknown length):
/// copies the request and response as they are (YARP's empty transform: no X-Forwarded headers to build) and adds
/// what the worker needs: the version routed to and the arm. The caller's own <c>x-serving-*</c> headers never reach
/// a worker. The response names the version that served it even if a worker didn't say. gRPC calls and smaller REST
/// calls go through <see cref="UnaryForwarder"/>, which does the same for them (and names the model a gRPC call was
/// routed by).
/// </summary>
/// <remarks>
/// A large REST body goes to the worker with <c>Expect: 100-continue</c>. Over HTTP/1.1 a worker that refuses a
/// body (413 past its <c>MaxRequestBytes</c>) closes the connection while the body is still being sent, and the
/// client then sees a broken pipe instead of the answer; with the expectation the worker answers before any of the
/// body is sent, and that answer reaches the caller. Over HTTP/2 (REST calls that overlap) the answer arrives either way,
/// and the expectation spares sending a body that would be refused.
/// </remarks>
internal sealed class GatewayTransformer(ForwarderClients clients) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        var headers = httpContext.Request.Headers;
        headers.Remove(GatewayHeaders.ChosenVersion);
        headers.Remove(GatewayHeaders.RoutedModel);
        headers.Remove(GatewayHeaders.Arm);
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        clients.PropagateTraceContext(headers, proxyRequest.Headers);
        if (httpContext.Features.Get<GatewayRequest>() is { } request)
        {
            proxyRequest.Headers.TryAddWithoutValidation(GatewayHeaders.ChosenVersion, request.Version.Version);
            proxyRequest.Headers.TryAddWithoutValidation(GatewayHeaders.Arm, request.Arm);
            if (request.Grpc)
            {
                // A ModelStreamInfer stream: the worker refuses a later message for another model than the first named.
                proxyRequest.Headers.TryAddWithoutValidation(GatewayHeaders.RoutedModel, request.Model.Name);
            }

            // Every REST body that reaches YARP is one the unary forwarder doesn't take: large, or of unknown length.
            else if (proxyRequest.Content is not null && !UnaryForwarder.Takes(request))
            {
                proxyRequest.Headers.ExpectContinue = true;
            }
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proxyResponse is not null && httpContext.Features.Get<GatewayRequest>() is { } request
            && !httpContext.Response.Headers.ContainsKey(GatewayHeaders.ServedVersion))
        {
            httpContext.Response.Headers[GatewayHeaders.ServedVersion] = request.Version.Version;
        }

        // A stream answered in full (trailers-only: no answer was owed) after the drain ended its upload.
        if (proxyResponse is not null && httpContext.Features.Get<GatewayRequest>()?.Upload is { EndedByDrain: true } upload)
        {
            EndedByDrain(httpContext.Response.Headers, upload);
        }

        return copy;
    }

    public override async ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        await base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (httpContext.Features.Get<GatewayRequest>()?.Upload is { EndedByDrain: true } upload
            && httpContext.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { IsReadOnly: false } trailers)
        {
            EndedByDrain(trailers, upload);
        }
    }

    // The worker ended the stream OK once the gateway's drain had ended its upload: it answered every message it was sent,
    // and the caller learns why its stream ended and that what it sent after those did not run. A status of the
    // worker's own (a failure, its own shutdown) stays.
    private static void EndedByDrain(IHeaderDictionary status, StreamUpload upload)
    {
        if (status["grpc-status"] == "0")
        {
            status["grpc-status"] = ((int)Grpc.Core.StatusCode.Unavailable).ToString(System.Globalization.CultureInfo.InvariantCulture);
            status["grpc-message"] = GatewayErrors.PercentEncode(StreamUpload.ShuttingDown(upload.MessagesSent));
        }
    }
}
