using Serving.Hosting.Http;
using Serving.Testing;

namespace Serving.Worker.Tests.Hosting;

/// <summary>
/// Whole gzip, deflate (zlib) and br data inflates as .NET's decoders inflate it; data cut short, with bytes after its
/// end, or (gzip) of several members is refused, where .NET's decoders give a shorter body and no error.
/// </summary>
public sealed class CheckedInflateStreamTests
{
    public static TheoryData<string, int> Whole => new()
    {
        { "gzip", 0 }, { "gzip", 5_000 }, { "gzip", 300_000 },
        { "deflate", 0 }, { "deflate", 5_000 }, { "deflate", 300_000 },
        { "br", 0 }, { "br", 5_000 }, { "br", 300_000 },
    };

    public static TheoryData<string, int> Cuts => new()
    {
        { "gzip", 1 }, { "gzip", 4 }, { "gzip", 8 }, { "gzip", -2 },
        { "deflate", 1 }, { "deflate", 4 }, { "deflate", -2 },
        { "br", 1 }, { "br", 4 }, { "br", -2 },
    };

    [Theory]
    [MemberData(nameof(Whole))]
    public async Task Whole_InflatesToTheData_SyncAndAsync_AnyReadSize(string encoding, int size)
    {
        var data = Data(size);
        var compressed = Compressed.Of(data, encoding);

        Assert.Equal(data, await InflateAsync(compressed, encoding, asynchronous: false, readSize: 64 * 1024));
        Assert.Equal(data, await InflateAsync(compressed, encoding, asynchronous: true, readSize: 64 * 1024));
        Assert.Equal(data, await InflateAsync(compressed, encoding, asynchronous: true, readSize: 7));
    }

    /// <summary>A negative cut keeps that share of the data: -2 is the first half. Every cut gives the data's front, and no error, to .NET's own decoders.</summary>
    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task CutShort_Refused_SayingSo(string encoding, int cut)
    {
        var compressed = Compressed.Of(Data(5_000), encoding);
        var kept = cut > 0 ? compressed[..^cut] : compressed[..(compressed.Length / -cut)];

        foreach (var asynchronous in new[] { false, true })
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => InflateAsync(kept, encoding, asynchronous, readSize: 4096));
            Assert.Contains("stops before its end", CheckedInflateStream.Reason(e));
            Assert.True(CompressedData.IsNotValid(e));
        }
    }

    /// <summary>.NET's gzip and zlib compressors write no byte for no data: no bytes are an empty body, in each encoding.</summary>
    [Fact]
    public async Task NoBytes_AnEmptyBody()
    {
        Assert.Empty(Compressed.Of([], "gzip"));
        foreach (var encoding in new[] { "gzip", "deflate", "br" })
        {
            Assert.Empty(await InflateAsync([], encoding, asynchronous: true, readSize: 4096));
            Assert.Empty(await InflateAsync([], encoding, asynchronous: false, readSize: 4096));
        }
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task BytesAfterTheEnd_Refused(string encoding)
    {
        var compressed = Compressed.Of(Data(5_000), encoding);
        var followed = compressed.Concat("xyz"u8.ToArray()).ToArray();

        // gzip's decoder takes what follows for another member and refuses its header itself.
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => InflateAsync(followed, encoding, asynchronous: true, readSize: 4096));
        Assert.True(CompressedData.IsNotValid(e));
    }

    [Fact]
    public async Task GzipOfTwoMembers_Refused_SayingSendOne()
    {
        var twice = Compressed.Of(Data(3_000), "gzip").Concat(Compressed.Of(Data(2_000), "gzip")).ToArray();

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => InflateAsync(twice, "gzip", asynchronous: true, readSize: 4096));
        Assert.Contains("more than one gzip member", CheckedInflateStream.Reason(e));
    }

    [Fact]
    public void Create_AnotherEncoding_Null_TheThreeInAnyCase()
    {
        Assert.Null(CheckedInflateStream.Create(new MemoryStream(), "zstd"));
        Assert.Null(CheckedInflateStream.Create(new MemoryStream(), "identity"));
        Assert.NotNull(CheckedInflateStream.Create(new MemoryStream(), " GZIP "));
        Assert.NotNull(CheckedInflateStream.Create(new MemoryStream(), "Deflate"));
        Assert.NotNull(CheckedInflateStream.Create(new MemoryStream(), "BR"));
    }

    [Fact]
    public void Dispose_ClosesTheSource_UnlessLeftOpen()
    {
        var source = new MemoryStream(Compressed.Of(Data(10), "br"));
        CheckedInflateStream.Create(source, "br", leaveOpen: true)!.Dispose();
        Assert.True(source.CanRead);
        CheckedInflateStream.Create(source, "br")!.Dispose();
        Assert.False(source.CanRead);
    }

    private static async Task<byte[]> InflateAsync(byte[] compressed, string encoding, bool asynchronous, int readSize)
    {
        using var inflater = CheckedInflateStream.Create(new MemoryStream(compressed), encoding)!;
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = asynchronous ? await inflater.ReadAsync(buffer) : inflater.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    // Half of it repeats (so it compresses), half is noise (so it spans many deflate blocks).
    private static byte[] Data(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        for (var i = 0; i < size; i += 2)
        {
            data[i] = (byte)'A';
        }

        return data;
    }
}
