using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;

namespace Serving.Drift.FunctionalTests.Hosting;

/// <summary>The drift monitor's HTTP answers to what it does not serve: JSON errors saying what it does, as the worker's and gateway's.</summary>
public sealed class HttpErrorTests
{
    [Theory]
    [InlineData("POST", "/v2/drift/report", "GET")]
    [InlineData("DELETE", "/v2/drift/report/tabular/1", "GET")]
    [InlineData("PUT", "/v2/health/ready", "GET, HEAD")]
    [InlineData("POST", "/metrics", "GET")]
    [InlineData("POST", "/v2/drift/report/tabular/1.0", "GET")] // a last segment with a dot: not left to ASP.NET's bare 404
    public async Task WrongMethod_405_WithAllow_AndAJsonError(string method, string path, string allow)
    {
        await using var drift = await DriftServer.StartAsync();

        using var response = await drift.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") });

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal($"{method} is not allowed on {path}: use {allow}", await ErrorAsync(response));
    }

    /// <summary>Probes that ask with HEAD (the sidecar's liveness, a monitor's readiness check): answered as GET, without the body.</summary>
    [Theory]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    public async Task Probe_Head_AnsweredAsGet_WithoutABody(string path)
    {
        await using var drift = await DriftServer.StartAsync();

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, 0), await Serving.Testing.ProbeCall.HeadAndGetAsync(drift.Http, path));
    }

    [Theory]
    [InlineData("/nothing")]
    [InlineData("/v2/drift/report/tabular")]
    [InlineData("/v2/models/tabular/infer")]
    [InlineData("/favicon.ico")] // a last segment with a dot: MapFallback's own pattern left it to ASP.NET's bare 404
    [InlineData("/v2/drift/report.json")]
    public async Task UnknownPath_404_SaysWhatIsServed(string path)
    {
        await using var drift = await DriftServer.StartAsync();

        using var response = await drift.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.StartsWith($"no endpoint at GET {path}: the drift monitor answers GET /v2/drift/report", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownGrpcMethod_OnTheIngestPort_StaysUnimplemented()
    {
        await using var drift = await DriftServer.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{drift.Endpoint}/serving.logs.v1.PredictionLogService/Nothing")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = response.Headers.TryGetValues("grpc-status", out var h) ? h.Single() : response.TrailingHeaders.GetValues("grpc-status").Single();
        Assert.Equal("12", status);
    }

    private static async Task<string?> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString();
    }
}
