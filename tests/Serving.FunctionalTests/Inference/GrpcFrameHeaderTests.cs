using Google.Protobuf;
using Grpc.Core;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// A ModelInfer call whose 5-byte gRPC message header is malformed gets the right status straight from the worker,
/// as from the gateway: grpc-dotnet alone answered a bad compressed flag and a length past 2^31 - 1 with UNKNOWN, and
/// a compressed message without a grpc-encoding with INTERNAL.
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class GrpcFrameHeaderTests(SharedWorkerFixture fixture)
{
    public static TheoryData<string, byte[], StatusCode, string> MalformedHeaders => new()
    {
        { "compressed flag 2", [2, 0, 0, 0, 2, 0x0A, 0x00], StatusCode.InvalidArgument, "malformed (compressed flag 2)" },
        { "compressed flag 0x80", [0x80, 0, 0, 0, 0], StatusCode.InvalidArgument, "malformed (compressed flag 128)" },
        { "length 2^32 - 1", [0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x07, .. "tabular"u8.ToArray()], StatusCode.ResourceExhausted, "(4294967295 bytes) is over the size allowed" },
        { "length 2^31", [0, 0x80, 0, 0, 0], StatusCode.ResourceExhausted, "(2147483648 bytes) is over the size allowed" },
        { "compressed flag 1, no grpc-encoding", [1, 0, 0, 0, 2, 0x0A, 0x00], StatusCode.InvalidArgument, "compressed but the request has no grpc-encoding header" },
    };

    [Fact]
    public async Task CompressedFlag_WithIdentityEncoding_InvalidArgument()
    {
        var (status, detail, _) = await RawGrpc.SendEncodedAsync(fixture.Server.Listeners.GrpcPort, [1, 0, 0, 0, 2, 0x0A, 0x00], "identity");

        Assert.True(status == (int)StatusCode.InvalidArgument, $"{(StatusCode)status} {detail}");
        Assert.Contains("no grpc-encoding header", detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// A deflate message whose zlib header asks for a preset dictionary (78 BB) is not valid deflate: INVALID_ARGUMENT, as
    /// any other bad message. zlib's ZLibException (an IOException) escaped grpc-dotnet's decoder as UNKNOWN.
    /// </summary>
    [Fact]
    public async Task DeflateMessageAskingForAPresetDictionary_InvalidArgument()
    {
        var (status, detail, _) = await RawGrpc.SendEncodedAsync(
            fixture.Server.Listeners.GrpcPort, [1, 0, 0, 0, 8, 0x78, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00], "deflate");

        Assert.True(status == (int)StatusCode.InvalidArgument, $"{(StatusCode)status} {detail}");
        Assert.Equal("the message is not valid deflate (zlib) data", detail);
    }

    /// <summary>
    /// A message compressed by a client that took its compressor's output after a flush but before closing it holds
    /// every byte of the request but not the stream's end (gzip's or zlib's trailer): INVALID_ARGUMENT saying so. .NET's
    /// decoders inflate it without a word, and the worker answered it OK; cut between two fields, a message still parses,
    /// as a shorter request. The same message closed is answered.
    /// </summary>
    [Theory]
    [InlineData("gzip", "the message is not valid gzip: the gzip data stops before its end")]
    [InlineData("deflate", "the message is not valid deflate (zlib) data: the deflate (zlib) data stops before its end")]
    public async Task CompressorNotClosed_InvalidArgument_SaysTheMessageStopsBeforeItsEnd(string encoding, string expected)
    {
        var message = GoldenFile.Load("tabular", "1").GrpcRequest("tabular", "1").ToByteArray();

        var (status, detail, _) = await RawGrpc.SendEncodedAsync(
            fixture.Server.Listeners.GrpcPort, RawGrpc.Frame(Compressed.Of(message, encoding, close: false), compressed: true), encoding);

        Assert.True(status == (int)StatusCode.InvalidArgument, $"{(StatusCode)status} {detail}");
        Assert.StartsWith(expected, detail, StringComparison.Ordinal);
        var (closedStatus, closedDetail, _) = await RawGrpc.SendEncodedAsync(
            fixture.Server.Listeners.GrpcPort, RawGrpc.Frame(Compressed.Of(message, encoding), compressed: true), encoding);
        Assert.True(closedStatus == (int)StatusCode.OK, $"{(StatusCode)closedStatus} {closedDetail}");
    }

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task MalformedHeader_StatusAndReason_WorkerStaysUp(string what, byte[] body, StatusCode expected, string message)
    {
        var (status, detail) = await RawGrpc.SendAsync(fixture.Server.Listeners.GrpcPort, body);

        Assert.True(status == (int)expected, $"{what}: {(StatusCode)status} {detail}");
        Assert.Contains(message, detail, StringComparison.Ordinal);
        Assert.NotEmpty((await fixture.Server.Grpc.ModelInferAsync(GoldenRequest())).Outputs);
    }

    [Fact]
    public async Task HeaderInPieces_ReadWhole_CallAnswered()
    {
        // The check waits for all 5 bytes, and leaves them for grpc-dotnet: a message sent in pieces is answered.
        var message = Google.Protobuf.MessageExtensions.ToByteArray(GoldenRequest());
        var body = RawGrpc.Frame(message);

        var (status, detail, answer) = await RawGrpc.SendAsync(fixture.Server.Listeners.GrpcPort, new RawGrpc.TwoPieces(body, 3, TimeSpan.FromMilliseconds(50)));

        Assert.True(status == (int)StatusCode.OK, $"{(StatusCode)status} {detail}");
        Assert.True(answer.Length > 5);
    }

    [Fact]
    public async Task MessageOfExactlyMaxRequestBytes_Answered()
    {
        // MaxRequestBytes is the largest message; its body is 5 bytes more (the frame header). Kestrel's body limit, left
        // in force by the header check, counted those too: UNKNOWN "Exception was thrown by handler".
        var request = Padded(GoldenRequest(), SharedWorkerFixture.MaxRequestBytes);

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.NotEmpty(response.Outputs);
    }

    [Fact]
    public async Task MessageOverASmallMaxRequestBytes_ResourceExhausted()
    {
        // With a limit smaller than the body's first read, that read broke Kestrel's body limit before grpc-dotnet
        // could refuse the message: UNKNOWN "Exception was thrown by handler" instead of RESOURCE_EXHAUSTED.
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var server = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = "4096" });

        var e = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(Padded(GoldenRequest(), 64 * 1024)).ResponseAsync);

        Assert.True(e.StatusCode == StatusCode.ResourceExhausted, $"{e.StatusCode}: {e.Status.Detail}");
    }

    // The request with an id that brings it to exactly this many bytes.
    private static Serving.Protocol.Inference.ModelInferRequest Padded(Serving.Protocol.Inference.ModelInferRequest request, long bytes)
    {
        var bare = request.CalculateSize();
        for (var length = (int)(bytes - bare) - 6; request.CalculateSize() < bytes; length++)
        {
            request.Id = new string('x', length); // the id's tag and length prefix take 4 bytes here
        }

        Assert.Equal(bytes, request.CalculateSize());
        return request;
    }

    private static Serving.Protocol.Inference.ModelInferRequest GoldenRequest()
    {
        var request = new Serving.Protocol.Inference.ModelInferRequest { ModelName = "tabular" };
        var input = new Serving.Protocol.Inference.ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom(new byte[120]));
        return request;
    }
}
