using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Serving.LoadTests.Targets;

/// <summary>
/// A gRPC unary call as plain HTTP/2: POST of the framed message, read the body, take grpc-status from the
/// trailers (or the headers, for a trailers-only answer). Same wire bytes as Grpc.Net.Client, less machinery.
/// </summary>
internal sealed class RawHttp2GrpcCaller(HttpMessageInvoker invoker, Uri methodUri, PreserializedContent content, ErrorSamples errors) : IInferCaller
{
    private readonly byte[] _scratch = new byte[16 * 1024];

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
    {
        // Not disposed: disposing the message would dispose the shared content; it holds nothing else.
        var request = new HttpRequestMessage(HttpMethod.Post, methodUri)
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        try
        {
            using var response = await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            while (await stream.ReadAsync(_scratch, cancellationToken).ConfigureAwait(false) > 0)
            {
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                return CallOutcome.Http((int)response.StatusCode);
            }

            var status = GrpcStatus(response);
            return status == StatusCode.OK ? CallOutcome.Ok : CallOutcome.Grpc(status);
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

    private static StatusCode GrpcStatus(HttpResponseMessage response)
    {
        if (response.TrailingHeaders.NonValidated.TryGetValues("grpc-status", out var values)
            || response.Headers.NonValidated.TryGetValues("grpc-status", out values))
        {
            foreach (var value in values)
            {
                return int.TryParse(value, out var code) ? (StatusCode)code : StatusCode.Unknown;
            }
        }

        // A 200 without grpc-status is a broken server (or proxy); Grpc.Net.Client reports it the same way.
        return StatusCode.Internal;
    }
}
