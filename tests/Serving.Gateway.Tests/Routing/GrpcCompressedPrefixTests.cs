using System.Buffers;
using System.IO.Compression;
using Google.Protobuf;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Tests.Routing;

/// <summary>Reading the leading fields of a gzip- or deflate-compressed gRPC message from the start of it.</summary>
public sealed class GrpcCompressedPrefixTests
{
    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public void WholeMessage_InflatedFrameHoldsNameAndVersion(string encoding)
    {
        var body = Compressed(Request("tabular", "2", rawBytes: 64), encoding);

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), encoding, isCompleted: true);

        var (name, version) = Fields(result);
        Assert.Equal(("tabular", "2"), (name, version));
    }

    [Theory]
    [InlineData("GZIP")]
    [InlineData("Deflate")]
    public void StartOfALargeMessage_IsEnough(string encoding)
    {
        // 200 KB of random tensor bytes barely compress, so only the first 4 KiB of the body has arrived.
        var raw = new byte[200_000];
        new Random(5).NextBytes(raw);
        var body = Compressed(Request(new string('m', 200), new string('9', 200), raw), encoding.ToLowerInvariant());
        Assert.True(body.Length > 150_000);

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body.AsMemory(0, 4096)), encoding, isCompleted: false);

        Assert.Equal((new string('m', 200), new string('9', 200)), Fields(result));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public void TooLittleOfTheBody_NeedsMore_ThenTruncatedWhenTheBodyEnded(string encoding)
    {
        var raw = new byte[50_000];
        new Random(6).NextBytes(raw);
        var body = Compressed(Request("tabular", "1", raw), encoding);
        var start = new ReadOnlySequence<byte>(body.AsMemory(0, 12));

        Assert.True(GrpcCompressedPrefix.Inflate(start, encoding, isCompleted: false).NeedMoreData);
        Assert.Contains("truncated", GrpcCompressedPrefix.Inflate(start, encoding, isCompleted: true).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "has no grpc-encoding header", false)]
    [InlineData("", "has no grpc-encoding header", false)]
    [InlineData("snappy", "grpc-encoding 'snappy' is not supported: use gzip or deflate", true)]
    [InlineData("zstd", "grpc-encoding 'zstd' is not supported: use gzip or deflate", true)]
    public void OtherEncodings_RefusedWithWhatToUse(string? encoding, string reason, bool unsupported)
    {
        var body = Compressed(Request("tabular", "1", rawBytes: 16), "gzip");

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), encoding, isCompleted: true);

        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.Equal(unsupported, result.UnsupportedEncoding);
    }

    [Theory]
    [InlineData("gzip", "none", "the message is not valid gzip")]
    [InlineData("deflate", "none", "the message is not valid deflate (zlib) data")]
    [InlineData("gzip", "deflate", "the message is not valid gzip")]
    [InlineData("deflate", "gzip", "the message is not valid deflate (zlib) data")]
    public void NotItsEncoding_Refused(string labelled, string sent, string error)
    {
        var request = Request("tabular", "1", rawBytes: 16);
        var body = sent == "none" ? Frames.Frame(request.ToByteArray(), compressed: 1) : Compressed(request, sent);

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), labelled, isCompleted: true);

        Assert.Equal(error, result.Error);
        Assert.False(result.UnsupportedEncoding);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeflateAskingForAPresetDictionary_Refused(bool isCompleted)
    {
        // A zlib header with FDICT set (0x78 0xBB) and a dictionary id: zlib answers Z_NEED_DICT, which .NET throws as a
        // ZLibException (an IOException), not as the InvalidDataException of other bad data.
        var body = Frames.Frame([0x78, 0xBB, 0, 0, 0, 1, 0x03, 0x00], compressed: 1);

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), "deflate", isCompleted);

        Assert.Equal("the message is not valid deflate (zlib) data", result.Error);
    }

    private static (string? Name, string? Version) Fields(GrpcCompressedPrefix.Result result)
    {
        Assert.Null(result.Error);
        var frame = Assert.IsType<byte[]>(result.Frame);
        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(frame), isCompleted: true);
        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        return (Frames.Text(frame, fields.Name), Frames.Text(frame, fields.Version));
    }

    private static byte[] Compressed(ModelInferRequest request, string encoding) =>
        Frames.Frame(Frames.Compress(request.ToByteArray(), encoding), compressed: 1);

    private static ModelInferRequest Request(string model, string version, int rawBytes) => Request(model, version, new byte[rawBytes]);

    private static ModelInferRequest Request(string model, string version, byte[] raw)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = "id-1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "UINT8" };
        input.Shape.AddRange([1, raw.Length]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(raw));
        return request;
    }
}
