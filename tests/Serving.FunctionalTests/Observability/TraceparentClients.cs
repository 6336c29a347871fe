using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.Protocol.Inference;

namespace Serving.FunctionalTests.Observability;

/// <summary>
/// Clients that send a hand-made W3C <c>traceparent</c> as a traced client in another process would:
/// the handler's own propagation is off, so the header reaches the server as written.
/// </summary>
internal sealed class TraceparentClients : IDisposable
{
    private readonly GrpcChannel _channel;

    public TraceparentClients(int restPort, int grpcPort)
    {
        Http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri($"http://127.0.0.1:{restPort}"), Timeout = TimeSpan.FromSeconds(30) };
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { ActivityHeadersPropagator = null } });
        Grpc = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
    }

    public HttpClient Http { get; }

    public GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    /// <summary>A new sampled caller context: the trace id and the caller's span id.</summary>
    public static (ActivityTraceId Trace, ActivitySpanId Span, string Header) NewCaller()
    {
        var trace = ActivityTraceId.CreateRandom();
        var span = ActivitySpanId.CreateRandom();
        return (trace, span, $"00-{trace}-{span}-01");
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string body, string traceparent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body) };
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        return await Http.SendAsync(request);
    }

    public async Task<ModelInferResponse> InferAsync(ModelInferRequest request, string traceparent) =>
        await Grpc.ModelInferAsync(request, new Metadata { { "traceparent", traceparent } });

    public void Dispose()
    {
        Http.Dispose();
        _channel.Dispose();
    }
}
