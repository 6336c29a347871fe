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
