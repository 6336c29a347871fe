using System.Text;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>
/// Bodies framed as a broken client frames them, written by hand on a bare HTTP/1.1 connection to the gateway (found by
/// <c>RestHttpFuzzTests</c>): each is refused by the gateway with its reason and counted once with its status.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RestFramingTests(GatewayFixture fixture)
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(Infer.RestBody);

    /// <summary>
    /// A chunk size too large for Kestrel to count is told to the body's read as a plain IOException (other bad chunks are a
    /// BadHttpRequestException): the gateway refused the body, but said "it ended early".
    /// </summary>
    [Theory]
    [InlineData("fffffffffff")]
    [InlineData("80000000")]
    public async Task ChunkSizeTooLargeToCount_400_SaysBadChunk(string size)
    {
        var request = RawExchange.Request("POST", "/v2/models/tabular/infer", [("Host", "x"), ("Transfer-Encoding", "chunked")],
            [.. Encoding.ASCII.GetBytes(size + "\r\n"), .. RawExchange.Chunked(Body, new Random(1))]);

        var (answer, counted) = await SendCountedAsync(request);

        Assert.True(answer.Status == 400, $"{answer.Ending} {answer.Status} {answer.Text}");
        Assert.Equal("the request body could not be read: Bad chunk size data.", answer.Error);
        Assert.Equal(1, counted);
    }

    /// <summary>
    /// Kestrel undoes only the chunks of "gzip, chunked", and the forward to the worker drops the header (it belongs to
    /// the hop): the worker read the body as it came, a gzip body as "malformed JSON" (400), a plain one labelled so as
    /// a valid request (200). Now the gateway refuses it itself (501), before choosing a version.
    /// </summary>
    [Theory]
    [InlineData("gzip, chunked", true)]
    [InlineData("gzip, chunked", false)]
    [InlineData("deflate,chunked", false)]
    public async Task TransferCodingBeforeChunked_501_AtTheGateway(string transfer, bool compressed)
    {
        var body = compressed ? Compressed.Of(Body, "gzip") : Body;
        var request = RawExchange.Request("POST", "/v2/models/tabular/infer", [("Host", "x"), ("Transfer-Encoding", transfer)], RawExchange.Chunked(body, new Random(2)));

        var (answer, counted) = await SendCountedAsync(request, version: "", code: "501");

        Assert.True(answer.Status == 501, $"{answer.Ending} {answer.Status} {answer.Text}");
        Assert.Equal($"Transfer-Encoding '{transfer}' is not supported: send the body chunked alone or with a Content-Length (Content-Encoding compresses it)", answer.Error);
        Assert.Null(answer.Header("x-serving-model-version"));
        Assert.Equal(1, counted);
    }

    /// <summary>
    /// A body that stops coming in while its caller waits is cut off by Kestrel's minimum body data rate (after its 5 s
    /// grace). The gateway answered 400 "the request body could not be read" with no reason (a body up to 64 KiB, which it
    /// reads itself), where the worker answers 408 with it. Now 408 with Kestrel's reason, counted 408. (A larger or chunked
    /// body streams on to a worker, whose own body data rate then races the gateway's: see the sweep's notes.)
    /// </summary>
    [Fact]
    public async Task BodyThatStopsComingIn_408_SaysTooSlowly()
    {
        var request = RawExchange.Request("POST", "/v2/models/tabular/infer", [("Host", "x"), ("Content-Length", Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))], Body.AsSpan(0, 600));

        var (answer, counted) = await SendCountedAsync(request, code: "408");

        Assert.True(answer.Status == 408, $"{answer.Ending} {answer.Status} {answer.Text}");
        Assert.Equal("the request body could not be read: Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate.", answer.Error);
        Assert.Equal(1, counted);
    }

    // The answer, and how many of the gateway's calls to tabular were counted with its status (and the version given).
    private async Task<(RawAnswer Answer, double Counted)> SendCountedAsync(byte[] request, string? version = null, string code = "400")
    {
        var labels = version is null ? $"protocol=\"rest\",code=\"{code}\"" : $"model=\"tabular\",version=\"{version}\",arm=\"\",protocol=\"rest\",code=\"{code}\"";
        var before = await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_requests_total", labels);
        var answer = await RawExchange.SendAsync(fixture.Gateway.Listeners.RestPort, request, RawExchange.Then.Wait, TimeSpan.FromSeconds(60));

        // Counted once the answer is sent: waited for (a bounded wait).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        double counted;
        while ((counted = await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_requests_total", labels) - before) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        return (answer, counted);
    }
}
