using Google.Protobuf;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// A ModelInfer call's body is one gRPC message. A body that ends inside it, or goes on after it, is the caller's mistake:
/// INVALID_ARGUMENT saying what came. grpc-dotnet answered INTERNAL ("Incomplete message.", "Additional data after the
/// message received."), which the gateway's automatic rollback counts against the version the call was routed to. A body
/// that stops inside its 5-byte header waited past the call's grpc-timeout for as long as the caller kept the stream
/// open; now it gets DEADLINE_EXCEEDED at its deadline (found by the gRPC HTTP/2 sweep, GrpcHttp2FuzzTests).
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class GrpcHttp2BodyTests(SharedWorkerFixture fixture)
{
    public static TheoryData<string, byte[], string> NotOneMessage
    {
        get
        {
            var frame = Frame();
            byte[] longer = [.. frame];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(longer.AsSpan(1), (uint)(frame.Length - 5 + 100));
            return new()
            {
                { "empty", [], "the body holds no message: a ModelInfer call's body is one gRPC message" },
                { "half a header", [0, 0, 0], "the body ended inside the 5-byte gRPC message header (3 bytes came)" },
                { "length 100 over the bytes", longer, $"the body ended {frame.Length - 5} bytes into its message of {frame.Length - 5 + 100} bytes (as its header says): send the whole message" },
                { "two messages", [.. frame, .. frame], $"the body goes on after its message ({frame.Length - 5} bytes, as its header says): a ModelInfer call's body is one gRPC message" },
                { "a partial frame after", [.. frame, 0, 0], $"the body goes on after its message ({frame.Length - 5} bytes, as its header says): a ModelInfer call's body is one gRPC message" },
            };
        }
    }

    [Theory]
    [MemberData(nameof(NotOneMessage))]
    public async Task NotExactlyOneMessage_InvalidArgument_SaysWhatCame(string what, byte[] body, string expected)
    {
        var answer = await GrpcHttp2Call.SendAsync(fixture.Server.Listeners.GrpcPort, body);

        Assert.True(answer.GrpcStatus == (int)Grpc.Core.StatusCode.InvalidArgument, $"{what}: {answer}");
        Assert.Equal(expected, answer.GrpcMessage);
    }

    [Fact]
    public async Task BodyStoppedInsideItsHeader_DeadlineExceededAtTheDeadline()
    {
        var answer = await GrpcHttp2Call.NeverEndedAsync(fixture.Server.Listeners.GrpcPort, Frame()[..3], "500m");

        Assert.True(answer.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, answer.ToString());
        Assert.Equal("the call's deadline (grpc-timeout) passed before the whole request arrived", answer.GrpcMessage);
    }

    /// <summary>A 0-byte message (no model_name): told so, as the gateway tells it, not that a name must have 1-128 characters.</summary>
    [Fact]
    public async Task MessageWithoutAModelName_InvalidArgument_ModelNameIsRequired()
    {
        var answer = await GrpcHttp2Call.SendAsync(fixture.Server.Listeners.GrpcPort, [0, 0, 0, 0, 0]);

        Assert.True(answer.GrpcStatus == (int)Grpc.Core.StatusCode.InvalidArgument, answer.ToString());
        Assert.Equal("model_name is required", answer.GrpcMessage);
    }

    private static byte[] Frame() => RawGrpc.Frame(GoldenFile.Load("tabular", "1").GrpcRequest("tabular", "1").ToByteArray());
}
