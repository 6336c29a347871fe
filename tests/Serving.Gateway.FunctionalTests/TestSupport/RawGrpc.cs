using System.Net;
using System.Net.Http.Headers;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Sends hand-made bytes as a ModelInfer call over HTTP/2 (what a broken or hostile client could send).</summary>
internal static class RawGrpc
{
    public static Task<(int GrpcStatus, string Message)> SendAsync(GatewayServer gateway, byte[] body) => SendAsync(gateway.Listeners.GrpcPort, body);

    /// <summary>The same to any server's gRPC port on 127.0.0.1 (a worker, to compare with the gateway).</summary>
    public static async Task<(int GrpcStatus, string Message)> SendAsync(int port, byte[] body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/inference.GRPCInferenceService/ModelInfer")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = Header(response, "grpc-status") ?? throw new InvalidOperationException($"no grpc-status: {response}; trailers {response.TrailingHeaders}");
        return (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(Header(response, "grpc-message") ?? ""));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var h) ? h.First() : response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : null;
}
