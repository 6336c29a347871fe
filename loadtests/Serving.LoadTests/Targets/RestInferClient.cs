using System.Net.Http;
using System.Text;
using Serving.LoadTests.Payloads;

namespace Serving.LoadTests.Targets;

/// <summary>REST over HTTP/1.1 through one socket handler whose pool allows one connection per caller.</summary>
internal sealed class RestInferClient : IInferClient
{
    private readonly HttpClient _client;
    private readonly HttpMessageInvoker _invoker;
    private readonly Uri _inferUri;
    private readonly RestBody _body;

    /// <summary>Encodes the payload once (JSON or binary) for up to <paramref name="callers"/> concurrent callers.</summary>
    public RestInferClient(Uri address, InferPayload payload, bool binary, int callers)
    {
        _body = binary ? RestPayloadEncoder.EncodeBinary(payload) : RestPayloadEncoder.EncodeJson(payload);
        _inferUri = new Uri(address, RestPaths.Infer(payload.Model, payload.ModelVersion));
        var handler = HttpHandlers.ForRest(callers);
        _client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };

        // The hot path skips HttpClient: no per-call linked cancellation source, no buffering; same handler and pool.
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <inheritdoc />
    public int RequestBytes => _body.Body.Length;

    /// <inheritdoc />
    public ErrorSamples Errors { get; } = new();

    /// <inheritdoc />
    public IInferCaller CreateCaller(int index) =>
        new RestInferCaller(_invoker, _inferUri, NewContent(), Errors);

    /// <inheritdoc />
    public async Task<string?> PreflightAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _inferUri) { Content = NewContent() };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            using var response = await _client.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return $"HTTP {(int)response.StatusCode}: {Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 500))}";
            }

            return body.Length == 0 ? "the server answered with an empty body" : null;
        }
        catch (HttpRequestException e)
        {
            return $"transport {e.HttpRequestError}: {e.Message}";
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _client.Dispose();
        _invoker.Dispose();
    }

    private PreserializedContent NewContent() =>
        new(_body.Body, _body.HeaderLength is null ? "application/json" : "application/octet-stream", _body.HeaderLength);
}
