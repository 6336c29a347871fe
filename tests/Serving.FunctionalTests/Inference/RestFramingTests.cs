using System.Text;
using Serving.FunctionalTests.Observability;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// Bodies framed in ways a broken client frames them, written by hand on a bare HTTP/1.1 connection (found by
/// <c>RestHttpFuzzTests</c>): each gets the product's <c>{"error": "..."}</c> and is counted once as the caller's error.
/// </summary>
[Collection(RestHttpCollection.Name)]
public sealed class RestFramingTests(RestHttpFuzzFixture fixture)
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody());

    /// <summary>
    /// A chunk size too large for Kestrel to count (over 31 bits) is told to the body's read as a plain IOException, not
    /// the BadHttpRequestException of other bad chunks; the worker took it for a reset connection: it aborted the
    /// connection (the client saw a reset, no answer) and counted the request Cancelled.
    /// </summary>
    [Theory]
    [InlineData("fffffffffff")]
    [InlineData("ffffffffffffffffff")]
    [InlineData("80000000")]
    public async Task ChunkSizeTooLargeToCount_400_CountedInvalidArgument(string size)
    {
        var request = RawExchange.Request("POST", "/v2/models/hf_tabular/infer", [("Host", "x"), ("Transfer-Encoding", "chunked")],
            [.. Encoding.ASCII.GetBytes(size + "\r\n"), .. RawExchange.Chunked(Body, new Random(1))]);

        var (answer, counted) = await SendCountedAsync(request);

        Assert.True(answer.Status == 400, $"{answer.Ending} {answer.Status} {answer.Text}");
        Assert.Equal("the request body could not be read: Bad chunk size data.", answer.Error);
        Assert.Equal("InvalidArgument", counted);
    }

    /// <summary>
    /// Kestrel takes transfer codings before a final "chunked" and undoes only the chunks; the worker read what was left
    /// as the body: a gzip transfer-coded body was "malformed JSON" (400), and a plain one labelled so was answered 200.
    /// Now refused (RFC 9112 §6.1: 501), counted Unimplemented as a Content-Encoding it lacks is.
    /// </summary>
    [Theory]
    [InlineData("gzip, chunked", true)]
    [InlineData("gzip, chunked", false)]
    [InlineData("deflate,chunked", false)]
    [InlineData("identity, chunked", false)]
    public async Task TransferCodingBeforeChunked_501_SaysWhich_CountedUnimplemented(string transfer, bool compressed)
    {
        var body = compressed ? Compressed.Of(Body, "gzip") : Body;
        var request = RawExchange.Request("POST", "/v2/models/hf_tabular/infer", [("Host", "x"), ("Transfer-Encoding", transfer)], RawExchange.Chunked(body, new Random(2)));

        var (answer, counted) = await SendCountedAsync(request);

        Assert.True(answer.Status == 501, $"{answer.Ending} {answer.Status} {answer.Text}");
        Assert.Equal($"Transfer-Encoding '{transfer}' is not supported: send the body chunked alone or with a Content-Length (Content-Encoding compresses it)", answer.Error);
        Assert.Equal("Unimplemented", counted);
    }

    /// <summary>"chunked" alone, in any case, is read as before.</summary>
    [Theory]
    [InlineData("chunked")]
    [InlineData("Chunked")]
    public async Task ChunkedAlone_200(string transfer)
    {
        var request = RawExchange.Request("POST", "/v2/models/hf_tabular/infer", [("Host", "x"), ("Transfer-Encoding", transfer)], RawExchange.Chunked(Body, new Random(3)));

        var (answer, counted) = await SendCountedAsync(request, version: "2");

        Assert.True(answer.Status == 200, $"{answer.Ending} {answer.Status} {answer.Text}");
        Assert.Equal("ok", counted);
    }

    // The answer, and the code the worker counted the request with (it is counted before it is answered).
    private async Task<(RawAnswer Answer, string Code)> SendCountedAsync(byte[] request, string version = "")
    {
        var before = await OwnSeries.ScrapeAsync(fixture.Server);
        var answer = await RawExchange.SendAsync(fixture.Server.Listeners.RestPort, request, RawExchange.Then.Wait, TimeSpan.FromSeconds(30));
        var after = await OwnSeries.ScrapeAsync(fixture.Server);
        string[] codes = ["ok", "InvalidArgument", "Cancelled", "Unimplemented", "Internal", "ResourceExhausted"];
        var counted = codes.Where(c => MetricsExposition.Value(after, Series(c, version)) != MetricsExposition.Value(before, Series(c, version))).ToList();
        Assert.True(counted.Count == 1, $"answered {answer.Ending} {answer.Status} {answer.Text}, counted as '{string.Join(", ", counted)}'");
        return (answer, counted[0]);
    }

    private static string Series(string code, string version) =>
        $"serving_inference_requests_total{{model=\"hf_tabular\",version=\"{version}\",protocol=\"rest\",code=\"{code}\"}}";
}
