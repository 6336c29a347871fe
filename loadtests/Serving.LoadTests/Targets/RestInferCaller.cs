using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;

namespace Serving.LoadTests.Targets;

/// <summary>A REST caller with its own reusable body; the response is drained into a buffer all callers share.</summary>
internal sealed class RestInferCaller(HttpMessageInvoker invoker, Uri inferUri, PreserializedContent content, ErrorSamples errors) : IInferCaller
{
    // What the response body is read into and never looked at, one for every caller: callers writing it at once harm
    // nothing. One each was 16 KiB per request in flight, 320 MB at --max-in-flight 20000.
    private static readonly byte[] Discard = new byte[16 * 1024];

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
    {
        // Not disposed: disposing the message would dispose the shared content; it holds nothing else.
        var request = new HttpRequestMessage(HttpMethod.Post, inferUri)
        {
            Content = content,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        try
        {
            // SocketsHttpHandler returns at the response headers; the body is drained below into the scratch buffer.
            using var response = await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            while (await stream.ReadAsync(Discard, cancellationToken).ConfigureAwait(false) > 0)
            {
            }

            return response.IsSuccessStatusCode ? CallOutcome.Ok : CallOutcome.Http((int)response.StatusCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return CallOutcome.CancelledAtStop;
        }
        catch (HttpRequestException e)
        {
            return errors.Record(CallOutcome.Transport(e.HttpRequestError), e);
        }
        catch (IOException e)
        {
            return errors.Record(CallOutcome.Transport(HttpRequestError.ResponseEnded), e);
        }
    }
}
