using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// REST bodies sent compressed (<c>Content-Encoding: gzip | deflate | br</c>, as Triton's HTTP client does when asked):
/// the same answer as the plain body; broken or unknown encodings are refused clearly; the body limit applies to the
/// inflated bytes.
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class CompressedBodyTests(SharedWorkerFixture fixture)
{
    private const string Path = "/v2/models/tabular/versions/1/infer";

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task CompressedBody_SameAnswerAsThePlainOne(string encoding)
    {
        var body = GoldenFile.Load("tabular", "1").RequestBody();
        var plain = await SendAsync(Encoding.UTF8.GetBytes(body), null);

        var compressed = await SendAsync(Compressed.Of(Encoding.UTF8.GetBytes(body), encoding), encoding);

        Assert.Equal(HttpStatusCode.OK, plain.Status);
        Assert.True(compressed.Status == HttpStatusCode.OK, compressed.Body);
        Assert.Equal(Outputs(plain.Body), Outputs(compressed.Body));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task PlainBodyLabelledCompressed_400(string encoding)
    {
        var (status, body) = await SendAsync(Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody()), encoding);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("could not be inflated", Error(body), StringComparison.Ordinal);
    }

    /// <summary>
    /// A deflate (zlib) body whose header asks for a preset dictionary (FDICT, 78 BB) is a body that can't be inflated:
    /// zlib says so with a ZLibException, an IOException and not an InvalidDataException, which escaped and reset the
    /// connection without an answer (found reviewing the gateway's fix of the same, b2c32da).
    /// </summary>
    [Fact]
    public async Task DeflateBodyAskingForAPresetDictionary_400()
    {
        var (status, body) = await SendAsync([0x78, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00], "deflate");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("could not be inflated", Error(body), StringComparison.Ordinal);
    }

    /// <summary>
    /// A client that takes its compressor's output after a flush but before closing it sends every byte of the body but
    /// not the stream's end (gzip's and zlib's trailer, Brotli's last block); .NET's decoders inflate it without a word,
    /// and such a body, or one cut anywhere, was read as what it held: here the whole request, answered 200.
    /// </summary>
    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task CompressorNotClosed_400_SaysTheBodyStopsBeforeItsEnd(string encoding)
    {
        var request = Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody());

        var (status, body) = await SendAsync(Compressed.Of(request, encoding, close: false), encoding);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("could not be inflated", Error(body), StringComparison.Ordinal);
        Assert.Contains("data stops before its end", Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip", "br")]
    [InlineData("br", "gzip")]
    [InlineData("deflate", "br")]
    [InlineData("br", "deflate")]
    public async Task BodyCompressedOneWayLabelledAnother_400(string sent, string labelled)
    {
        // Brotli's decoder reports bad data as InvalidOperationException, not InvalidDataException as gzip's does.
        var (status, body) = await SendAsync(Compressed.Of(Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody()), sent), labelled);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("could not be inflated", Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("identity")]
    [InlineData("Identity")]
    public async Task IdentityEncoding_IsThePlainBody(string encoding)
    {
        var body = Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody());
        var plain = await SendAsync(body, null);

        var labelled = await SendAsync(body, encoding);

        Assert.True(labelled.Status == HttpStatusCode.OK, labelled.Body);
        Assert.Equal(Outputs(plain.Body), Outputs(labelled.Body));
    }

    /// <summary>
    /// An empty header said "Content-Encoding '' is not supported", and "gzip, br" was refused with a message that named
    /// gzip and br as what to send: each now says what is wrong with it.
    /// </summary>
    [Theory]
    [InlineData("zstd", "Content-Encoding 'zstd' is not supported: send gzip, deflate, br or an uncompressed body")]
    [InlineData("gzip, br", "Content-Encoding 'gzip, br' names more than one encoding: compress the body once, with gzip, deflate or br, or send it uncompressed")]
    [InlineData("identity, gzip", "Content-Encoding 'identity, gzip' names more than one encoding: compress the body once")]
    [InlineData("", "Content-Encoding is empty: leave the header out for an uncompressed body, or name gzip, deflate or br")]
    public async Task UnsupportedEncoding_415_SaysWhatToSend(string encoding, string message)
    {
        var (status, body) = await SendAsync(Compressed.Of(Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody()), "gzip"), encoding);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.StartsWith(message, Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GzipBomb_SmallOnTheWire_413_OnTheInflatedSize_WorkerKeepsServing()
    {
        // 80 MB of spaces after a valid request inflate past the worker's 64 MiB limit from well under 1 MB.
        var bomb = new byte[80_000_000];
        Array.Fill(bomb, (byte)' ');
        var compressed = Compressed.Of(bomb, "gzip");
        Assert.True(compressed.Length < 1_000_000);

        var (status, body) = await SendAsync(compressed, "gzip");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("over the", Error(body), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Encoding.UTF8.GetBytes(GoldenFile.Load("tabular", "1").RequestBody()), null)).Status);
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(byte[] body, string? encoding)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        }

        using var response = await fixture.Server.Http.PostAsync(Path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Outputs(string body) => JsonDocument.Parse(body).RootElement.GetProperty("outputs").GetRawText();

    private static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
}
