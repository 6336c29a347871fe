using System.Buffers;
using System.IO.Compression;
using Google.Protobuf;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Tests.Routing;

/// <summary>Reading the leading fields of a gzip-compressed gRPC message from the start of it.</summary>
public sealed class GrpcCompressedPrefixTests
{
    [Fact]
    public void WholeMessage_InflatedFrameHoldsNameAndVersion()
    {
        var body = Compressed(Request("tabular", "2", rawBytes: 64));

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), "gzip", isCompleted: true);

        var (name, version) = Fields(result);
        Assert.Equal(("tabular", "2"), (name, version));
    }

    [Fact]
    public void StartOfALargeMessage_IsEnough()
    {
        // 200 KB of random tensor bytes barely compress, so only the first 4 KiB of the body has arrived.
        var raw = new byte[200_000];
        new Random(5).NextBytes(raw);
        var body = Compressed(Request(new string('m', 200), new string('9', 200), raw));
        Assert.True(body.Length > 150_000);

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body.AsMemory(0, 4096)), "GZIP", isCompleted: false);

        Assert.Equal((new string('m', 200), new string('9', 200)), Fields(result));
    }

    [Fact]
    public void TooLittleOfTheBody_NeedsMore_ThenTruncatedWhenTheBodyEnded()
    {
        var raw = new byte[50_000];
        new Random(6).NextBytes(raw);
        var body = Compressed(Request("tabular", "1", raw));
        var start = new ReadOnlySequence<byte>(body.AsMemory(0, 12));

        Assert.True(GrpcCompressedPrefix.Inflate(start, "gzip", isCompleted: false).NeedMoreData);
        Assert.Contains("truncated", GrpcCompressedPrefix.Inflate(start, "gzip", isCompleted: true).Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "has no grpc-encoding header")]
    [InlineData("", "has no grpc-encoding header")]
    [InlineData("deflate", "grpc-encoding 'deflate' is not supported by the gateway: use gzip")]
    [InlineData("snappy", "grpc-encoding 'snappy' is not supported")]
    public void OtherEncodings_RefusedWithWhatToUse(string? encoding, string reason)
    {
        var body = Compressed(Request("tabular", "1", rawBytes: 16));

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), encoding, isCompleted: true);

        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void NotGzip_Refused()
    {
        var body = Frames.Frame(Request("tabular", "1", rawBytes: 16).ToByteArray(), compressed: 1);

        var result = GrpcCompressedPrefix.Inflate(new ReadOnlySequence<byte>(body), "gzip", isCompleted: true);

        Assert.Equal("the message is not valid gzip", result.Error);
    }

    private static (string? Name, string? Version) Fields(GrpcCompressedPrefix.Result result)
    {
        Assert.Null(result.Error);
        var frame = Assert.IsType<byte[]>(result.Frame);
        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(frame), isCompleted: true);
        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        return (Frames.Text(frame, fields.Name), Frames.Text(frame, fields.Version));
    }

    private static byte[] Compressed(ModelInferRequest request)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            request.WriteTo(gzip);
        }

        return Frames.Frame(output.ToArray(), compressed: 1);
    }

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
