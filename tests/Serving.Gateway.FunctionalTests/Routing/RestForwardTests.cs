using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Routing;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// What a REST infer call brings to the worker through the gateway. A body of known length up to 64 KiB is read whole
/// and sent as one (<see cref="UnaryForwarder"/>); a larger one streams through YARP with <c>Expect: 100-continue</c>.
/// Either way the worker gets the path and query, the caller's headers (its own routing hints replaced by the
/// gateway's), the body's headers and the body byte for byte.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RestForwardTests(GatewayFixture fixture)
{
    private const string Model = "rest-forward";

    [Theory]
    [InlineData(700)]
    [InlineData(64 * 1024)]
    [InlineData((64 * 1024) + 1)]
    [InlineData(300 * 1024)]
    public async Task Call_ReachesTheWorkerAsSent_WhateverItsSize(int size)
    {
        await using var worker = await StubWorker.RecordingAsync(Model, "1");
        await using var gateway = await StubWorker.GatewayAsync([worker], discoveryInterval: "00:00:00.100");
        var body = new byte[size];
        new Random(size).NextBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Model}/versions/1/infer?trace=on&x=1%202") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/octet-stream");
        request.Content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        request.Headers.TryAddWithoutValidation("x-caller", "a");
        request.Headers.TryAddWithoutValidation("x-caller-many", ["b", "c"]);
        request.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", "12");
        request.Headers.TryAddWithoutValidation(GatewayHeaders.ChosenVersion, "9");
        request.Headers.TryAddWithoutValidation(GatewayHeaders.Arm, "mine");

        using var response = await gateway.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues(GatewayHeaders.ServedVersion).Single());
        Assert.Equal("""{"outputs": []}""", await response.Content.ReadAsStringAsync());
        var call = Assert.Single(worker.Received);
        Assert.Equal($"/v2/models/{Model}/versions/1/infer?trace=on&x=1%202", call.PathAndQuery);
        Assert.Equal(body, call.Body);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), call.Headers["Content-Length"]);
        Assert.Equal("application/octet-stream", call.Headers["Content-Type"]);
        Assert.Equal("gzip", call.Headers["Content-Encoding"]);
        Assert.Equal("a", call.Headers["x-caller"]);
        Assert.Equal("b, c", call.Headers["x-caller-many"]);
        Assert.Equal("12", call.Headers["Inference-Header-Content-Length"]);
        Assert.Equal("1", call.Headers[GatewayHeaders.ChosenVersion]);
        Assert.Equal(Arms.Explicit, call.Headers[GatewayHeaders.Arm]);

        // Only a body too large to hold asks the worker first; a held one is sent at once.
        Assert.Equal(size > UnaryForwarder.MaxRestBodyBytes, call.Headers.TryGetValue("Expect", out var expect) && expect == "100-continue");
    }

    [Fact]
    public async Task WorkersAnswer_KeepsItsLength_AndNamesTheVersion()
    {
        using var response = await fixture.Gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(Infer.RestBody));
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal("1", response.Headers.GetValues(GatewayHeaders.ServedVersion).Single());
        Assert.Contains("\"outputs\"", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task BodyThatIsNotItsContentEncoding_WorkersClear400(string encoding)
    {
        using var content = new StringContent(Infer.RestBody);
        content.Headers.ContentEncoding.Add(encoding);

        using var response = await fixture.Gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("could not be inflated", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallerAsksForACompressedAnswer_WorkersCompressedAnswerPassesThrough(bool chunked)
    {
        // A held body goes through the unary forwarder, one of unknown length through YARP: both keep the encoding.
        using var plainResponse = await fixture.Gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(Infer.RestBody));
        var plain = await plainResponse.Content.ReadAsStringAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/versions/1/infer") { Content = new StringContent(Infer.RestBody) };
        request.Headers.AcceptEncoding.Add(new System.Net.Http.Headers.StringWithQualityHeaderValue("gzip"));
        request.Headers.TransferEncodingChunked = chunked;

        using var response = await fixture.Gateway.Http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Equal("1", response.Headers.GetValues(GatewayHeaders.ServedVersion).Single());
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        Assert.Equal(plain, await reader.ReadToEndAsync());
    }
}
