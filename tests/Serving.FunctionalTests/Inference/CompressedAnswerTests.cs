using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// REST answers compressed on request (<c>Accept-Encoding</c>, as Triton's HTTP client sends for its
/// <c>response_compression_algorithm</c>): the same bytes once inflated, JSON and binary-extension answers alike; a
/// caller that asks for nothing gets the plain answer with its Content-Length.
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class CompressedAnswerTests(SharedWorkerFixture fixture)
{
    private const string Path = "/v2/models/tabular/versions/1/infer";

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task AskedFor_ComesCompressed_InflatesToThePlainAnswer(string encoding)
    {
        var body = GoldenFile.Load("tabular", "1").RequestBody();
        var plain = await PostAsync(body, null);

        var compressed = await PostAsync(body, encoding);

        Assert.Equal(HttpStatusCode.OK, compressed.Status);
        Assert.Equal([encoding], compressed.ContentEncoding);
        Assert.NotEqual(plain.Bytes, compressed.Bytes);
        Assert.Equal(Encoding.UTF8.GetString(plain.Bytes), Encoding.UTF8.GetString(Inflate(compressed.Bytes, encoding)));
    }

    [Fact]
    public async Task BinaryExtensionAnswer_Compressed_KeepsItsHeaderLength()
    {
        using var request = JsonDocument.Parse(GoldenFile.Load("tabular", "1").RequestBody());
        var body = $$$"""{"inputs": {{{request.RootElement.GetProperty("inputs").GetRawText()}}}, "parameters": {"binary_data_output": true}}""";
        var plain = await PostAsync(body, null);

        var compressed = await PostAsync(body, "gzip");

        Assert.Equal(["gzip"], compressed.ContentEncoding);
        Assert.Equal(plain.HeaderLength, compressed.HeaderLength);
        Assert.NotNull(plain.HeaderLength);
        Assert.Equal(plain.Bytes, Inflate(compressed.Bytes, "gzip"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    [InlineData("zstd")]
    public async Task NotAskedFor_PlainWithItsLength(string? acceptEncoding)
    {
        var answer = await PostAsync(GoldenFile.Load("tabular", "1").RequestBody(), acceptEncoding);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Empty(answer.ContentEncoding);
        Assert.Equal(answer.Bytes.Length, answer.ContentLength);
        Assert.Contains("\"outputs\"", Encoding.UTF8.GetString(answer.Bytes), StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, byte[] Bytes, string[] ContentEncoding, long? ContentLength, string? HeaderLength)> PostAsync(string body, string? acceptEncoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (acceptEncoding is not null)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(acceptEncoding));
        }

        using var response = await fixture.Server.Http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var headerLength = response.Headers.TryGetValues("Inference-Header-Content-Length", out var values) ? values.Single() : null;
        return (response.StatusCode, bytes, [.. response.Content.Headers.ContentEncoding], response.Content.Headers.ContentLength, headerLength);
    }

    private static byte[] Inflate(byte[] bytes, string encoding)
    {
        using var input = new MemoryStream(bytes);
        using Stream inflater = encoding switch
        {
            "gzip" => new GZipStream(input, CompressionMode.Decompress),
            "deflate" => new ZLibStream(input, CompressionMode.Decompress),
            _ => new BrotliStream(input, CompressionMode.Decompress),
        };
        using var output = new MemoryStream();
        inflater.CopyTo(output);
        return output.ToArray();
    }
}
