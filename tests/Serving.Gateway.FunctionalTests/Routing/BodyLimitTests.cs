using System.Net;
using System.Text;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// REST bodies over a limit, with and without a Content-Length: 413 with the limit that was hit (the gateway's or the
/// worker's), never a 503 blaming the worker. A body without a length streams through YARP, so it is only found too
/// large while it is being forwarded.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BodyLimitTests(GatewayFixture fixture)
{
    private const int Limit = 256 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OverTheGatewaysLimit_413_NamesIt_GatewayStillServes(bool chunked)
    {
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:MaxRequestBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        var (status, body) = await PostAsync(gateway.Http, Limit + (32 * 1024), chunked);

        Assert.True(status == HttpStatusCode.RequestEntityTooLarge, $"{status} {body}");
        Assert.Contains($"over the {Limit} bytes allowed (Serving:Gateway:MaxRequestBytes)", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OverTheWorkersLimit_413_FromTheWorker_WorkerNotExcluded(bool chunked)
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var gateway = await GatewayServer.StartAsync([worker]);

        var (status, body) = await PostAsync(gateway.Http, Limit + (32 * 1024), chunked);

        Assert.True(status == HttpStatusCode.RequestEntityTooLarge, $"{status} {body}");
        Assert.Contains($"over the {Limit} bytes allowed (Serving:Worker:MaxRequestBytes)", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
    }

    [Fact]
    public async Task ChunkedBodyFarOverTheWorkersLimit_413_FromTheWorker_NotA503()
    {
        // 4 MB streamed to a worker that refuses it at 256 KiB: over HTTP/1.1 the worker closed the connection under
        // the upload and the gateway answered 503 "failed before answering" every time; the HTTP/2 hop keeps its 413.
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var gateway = await GatewayServer.StartAsync([worker]);

        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await PostAsync(gateway.Http, 4 * 1024 * 1024, chunked: true);

            Assert.True(status == HttpStatusCode.RequestEntityTooLarge, $"{status} {body}");
            Assert.Contains($"over the {Limit} bytes allowed (Serving:Worker:MaxRequestBytes)", body, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
    }

    [Fact]
    public async Task BrokenChunkedBody_400_TheCallersFault_WorkerNotBlamed()
    {
        // A chunk size that is not hexadecimal: Kestrel finds it while YARP streams the body to the worker.
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, fixture.Gateway.Listeners.RestPort);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /v2/models/tabular/versions/1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4\r\n{\"in\r\nZZ\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);

        var statusLine = await reader.ReadLineAsync();
        var rest = await reader.ReadToEndAsync();

        Assert.Equal("HTTP/1.1 400 Bad Request", statusLine);
        Assert.Contains("the request body could not be read", rest, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(fixture.Gateway.Http)).Status);
    }

    // The golden request followed by spaces up to `size` bytes: valid JSON, only its size is wrong. Sent as curl sends a
    // large body, asking to continue first: a body refused by its length is then never sent (else HTTP/1.1 may close
    // the connection under a client still writing it). Just past the limit, so little is left unread either way.
    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, int size, bool chunked)
    {
        var json = Encoding.UTF8.GetBytes(Infer.RestBody);
        var bytes = new byte[size];
        json.CopyTo(bytes, 0);
        bytes.AsSpan(json.Length).Fill((byte)' ');
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/versions/1/infer") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
