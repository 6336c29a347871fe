using System.IO.Compression;
using System.Text;
using Serving.Gateway.Shadow;

namespace Serving.Gateway.Tests.Shadow;

/// <summary>A primary's compressed REST answer inflated to compare with the shadow's: any unreadable body is Unreadable, never a throw.</summary>
public sealed class CompressedAnswerTests
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes("""{"model_name":"m","outputs":[]}""");

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public void TryInflate_WhatTheWorkerCompressed_Inflated(string encoding)
    {
        Assert.Equal(CompressedAnswer.Outcome.Inflated, CompressedAnswer.TryInflate(Compress(Answer, encoding), encoding, 1024, out var inflated));
        Assert.Equal(Answer, inflated.ToArray());
        Assert.Equal(CompressedAnswer.Outcome.TooLarge, CompressedAnswer.TryInflate(Compress(Answer, encoding), encoding, Answer.Length - 1, out _));
    }

    /// <summary>
    /// zlib's "needs a dictionary" (a header with FDICT set, 78 BB) comes as ZLibException, an IOException: it escaped
    /// the shadow's comparison, as the fuzz sweep found the same in the gateway's gRPC prefix reader.
    /// </summary>
    [Theory]
    [InlineData("deflate", new byte[] { 0x78, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00 })]
    [InlineData("deflate", new byte[] { 0x01, 0x02, 0x03 })]
    [InlineData("gzip", new byte[] { 0x1F, 0x8C, 0x08, 0x00, 0x00 })]
    [InlineData("br", new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData("zstd", new byte[] { 0x28, 0xB5, 0x2F, 0xFD })]
    public void TryInflate_NotReadable_Unreadable(string encoding, byte[] body)
    {
        Assert.Equal(CompressedAnswer.Outcome.Unreadable, CompressedAnswer.TryInflate(body, encoding, 1024, out _));
    }

    /// <summary>
    /// A primary's answer that stops before its compressed stream's end (here its compressor flushed, not closed; or a
    /// body cut anywhere) is Unreadable: it inflated to what it held, without a word, and was compared as that.
    /// </summary>
    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public void TryInflate_StopsBeforeItsEnd_Unreadable(string encoding)
    {
        using var output = new MemoryStream();
        using var compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => (Stream)new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
        };
        compressor.Write(Answer);
        compressor.Flush();

        Assert.Equal(CompressedAnswer.Outcome.Unreadable, CompressedAnswer.TryInflate(output.ToArray(), encoding, 1024, out _));
        var whole = Compress(Answer, encoding);
        Assert.Equal(CompressedAnswer.Outcome.Unreadable, CompressedAnswer.TryInflate(whole.AsMemory(0, whole.Length - 1), encoding, 1024, out _));
    }

    private static byte[] Compress(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }
}
