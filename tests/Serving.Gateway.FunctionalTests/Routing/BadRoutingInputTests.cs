using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>Bad routing input gets the protocol's error from the gateway itself, never a crash: unknown model or version → 404 / NOT_FOUND, malformed gRPC → INVALID_ARGUMENT.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BadRoutingInputTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("/v2/models/nope/infer", HttpStatusCode.NotFound, "unknown model 'nope'")]
    [InlineData("/v2/models/nope/versions/1/infer", HttpStatusCode.NotFound, "unknown model 'nope'")]
    [InlineData("/v2/models/tabular/versions/9/infer", HttpStatusCode.NotFound, "model 'tabular' has no version '9'")]
    [InlineData("/v2/models/tabular/versions/01/infer", HttpStatusCode.NotFound, "has no version '01'")]
    [InlineData("/v2/models/bad..name/infer", HttpStatusCode.BadRequest, "model name is not valid")]
    [InlineData("/v2/models/tabular/versions/1/nothing", HttpStatusCode.NotFound, "no endpoint at POST")]
    public async Task Rest_BadModelOrVersion_ProtocolError(string path, HttpStatusCode expected, string message)
    {
        var (status, _, body) = await Infer.RestAsync(fixture.Gateway.Http, path);

        Assert.Equal(expected, status);
        Assert.Contains(message, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A path whose last segment has a dot was left out of the fallback (MapFallback's "nonfile" pattern) and got ASP.NET's
    /// bare 404, without the protocol's error or, for a model named with a dot, the 405 and Allow of its path (found by the
    /// HTTP sweep, Endpoints.RestHttpFuzzTests).
    /// </summary>
    [Theory]
    [InlineData("GET", "/favicon.ico", 404, "no endpoint at GET /favicon.ico")]
    [InlineData("GET", "/v2/models/tabular/versions/1/i.fer", 404, "no endpoint at GET /v2/models/tabular/versions/1/i.fer")]
    [InlineData("POST", "/v2/models/my.model", 405, "POST is not allowed on /v2/models/my.model: use GET")]
    public async Task Rest_PathEndingInASegmentWithADot_JsonError(string method, string path, int status, string message)
    {
        var (actual, _, error) = await RestCall.SendAsync(fixture.Gateway.Http, method, path);

        Assert.Equal(status, (int)actual);
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("GET", "/v2/models/tabular/infer", "POST")]
    [InlineData("PUT", "/v2/models/tabular/versions/1/infer", "POST")]
    [InlineData("POST", "/v2/models/tabular/ready", "GET, HEAD")]
    [InlineData("DELETE", "/v2/health/ready", "GET, HEAD")]
    [InlineData("POST", "/metrics", "GET")]
    [InlineData("GET", "/v2/repository/models/tabular/unload", "POST")]
    public async Task Rest_WrongMethodOnAProtocolPath_405_WithAllow(string method, string path, string allowed)
    {
        var (status, allow, error) = await RestCall.SendAsync(fixture.Gateway.Http, method, path);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal(allowed, string.Join(", ", allow));
        Assert.Contains($"{method} is not allowed on {path}: use {allowed}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_PinnedVersionThatDoesNotExist_404()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}, "pin_header": "x-model-version"}""");

        var (status, _, _) = await Infer.RestAsync(fixture.Gateway.Http, headers: ("x-model-version", "9"));

        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Theory]
    [InlineData("nope", "", StatusCode.NotFound, "unknown model 'nope'")]
    [InlineData("tabular", "9", StatusCode.NotFound, "model 'tabular' has no version '9'")]
    [InlineData("", "", StatusCode.InvalidArgument, "model_name is required")]
    [InlineData("../etc", "", StatusCode.InvalidArgument, "model name is not valid")]
    public async Task Grpc_BadModelOrVersion_StatusFromTheGateway(string model, string version, StatusCode expected, string message)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(fixture.Gateway.Grpc, Infer.GrpcRequest(model, version)));

        Assert.Equal(expected, e.StatusCode);
        Assert.Contains(message, e.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every malformed frame is INVALID_ARGUMENT, including one whose header claims 4 GiB but whose body ends early (it is
    /// truncated, not large). RESOURCE_EXHAUSTED is only for a message declared over <c>MaxRequestBytes</c> whose leading
    /// fields are whole: the gateway refuses it by its header without waiting for the rest.
    /// </summary>
    public static TheoryData<string, byte[], StatusCode> MalformedFrames => new()
    {
        { "empty body", [], StatusCode.InvalidArgument },
        { "half a header", [0, 0, 0], StatusCode.InvalidArgument },
        { "compressed without an encoding", [1, 0, 0, 0, 1, 0], StatusCode.InvalidArgument },
        { "bad compressed flag", [9, 0, 0, 0, 0], StatusCode.InvalidArgument },
        { "garbage protobuf", [0, 0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF], StatusCode.InvalidArgument },
        { "tag varint over 10 bytes", [0, 0, 0, 0, 11, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], StatusCode.InvalidArgument },
        { "field number 0", [0, 0, 0, 0, 2, 0x02, 0x00], StatusCode.InvalidArgument },
        { "name with a varint wire type", [0, 0, 0, 0, 2, 0x08, 0x01], StatusCode.InvalidArgument },
        { "field past the message end", [0, 0, 0, 0, 3, 0x0A, 0x7F, 0x61], StatusCode.InvalidArgument },
        { "truncated name", [0, 0, 0, 0, 9, 0x0A, 0x07, 0x74, 0x61], StatusCode.InvalidArgument },
        { "body shorter than its header says, nothing routable in it", [0, 0, 0, 0, 100, 0x61, 0x62, 0x63], StatusCode.InvalidArgument },
        { "name is not UTF-8", [0, 0, 0, 0, 4, 0x0A, 0x02, 0xC3, 0x28], StatusCode.InvalidArgument },
        { "length-only frame claiming 4 GiB", [0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x07, .. "tabular"u8.ToArray()], StatusCode.InvalidArgument },
        { "bare header claiming 4 GiB", [0, 0xFF, 0xFF, 0xFF, 0xFF], StatusCode.InvalidArgument },
        { "4 GiB declared, leading fields whole", [0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x07, .. "tabular"u8.ToArray(), 0x1A, 0x00], StatusCode.ResourceExhausted },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task Grpc_MalformedFrame_InvalidArgument_OverTheLimit_ResourceExhausted_GatewayStaysUp(string what, byte[] body, StatusCode expected)
    {
        var (status, message) = await RawGrpc.SendAsync(fixture.Gateway, body);

        Assert.True(status == (int)expected, $"{what}: {(StatusCode)status} {message}");
        Assert.NotEmpty(message);
        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc);
        Assert.NotEmpty(response.Outputs);
    }

    [Theory]
    [InlineData("0n")]
    [InlineData("99n")]
    [InlineData("0S")]
    public async Task Grpc_TimeoutUnderATick_DeadlineExceededFromTheWorker_NotRunWithoutADeadline(string timeout)
    {
        var (status, message) = await RawGrpc.SendWithHeaderAsync(fixture.Gateway.Listeners.GrpcPort, RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray()), "grpc-timeout", timeout);

        Assert.True(status == (int)StatusCode.DeadlineExceeded, $"grpc-timeout {timeout}: {(StatusCode)status} {message}");
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("snappy")]
    public async Task Grpc_CompressedInAnEncodingNobodyHas_Unimplemented_WithWhatIsAccepted_AsTheWorkerSaysIt(string encoding)
    {
        // The gRPC spec's answer to a message in an unsupported compression: UNIMPLEMENTED and grpc-accept-encoding.
        var body = RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray(), compressed: true);

        var direct = await RawGrpc.SendEncodedAsync(fixture.WorkerA.Listeners.GrpcPort, body, encoding);
        var routed = await RawGrpc.SendEncodedAsync(fixture.Gateway.Listeners.GrpcPort, body, encoding);

        Assert.Equal((int)StatusCode.Unimplemented, direct.GrpcStatus);
        Assert.True(routed.GrpcStatus == (int)StatusCode.Unimplemented, routed.Message);
        Assert.Contains("use gzip or deflate", routed.Message, StringComparison.Ordinal);
        Assert.Equal(direct.AcceptEncoding!.Split(',').Order(), routed.AcceptEncoding!.Split(',').Order());
    }

    [Theory]
    [InlineData("gzip", "the message is not valid gzip")]
    [InlineData("deflate", "the message is not valid deflate")]
    public async Task Grpc_NotItsEncoding_InvalidArgument_AtTheGatewayAndTheWorker(string encoding, string expected)
    {
        var body = RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray(), compressed: true);

        var direct = await RawGrpc.SendEncodedAsync(fixture.WorkerA.Listeners.GrpcPort, body, encoding);
        var routed = await RawGrpc.SendEncodedAsync(fixture.Gateway.Listeners.GrpcPort, body, encoding);

        Assert.True(direct.GrpcStatus == (int)StatusCode.InvalidArgument, $"{(StatusCode)direct.GrpcStatus} {direct.Message}");
        Assert.Contains(expected, direct.Message, StringComparison.Ordinal);
        Assert.True(routed.GrpcStatus == (int)StatusCode.InvalidArgument, $"{(StatusCode)routed.GrpcStatus} {routed.Message}");
        Assert.Contains(expected, routed.Message, StringComparison.Ordinal);
        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc);
        Assert.NotEmpty(response.Outputs);
    }

    [Fact]
    public async Task Grpc_ValidLeadingFields_BrokenRest_WorkerSaysInvalidArgument()
    {
        var message = Infer.GrpcRequest(version: "1").ToByteArray();
        var body = new byte[5 + message.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)(message.Length + 2));
        message.CopyTo(body, 5);
        body[^2] = 0xFF;
        body[^1] = 0xFF;

        var (status, _) = await RawGrpc.SendAsync(fixture.Gateway, body);

        Assert.Equal((int)StatusCode.InvalidArgument, status);
    }

    [Fact]
    public async Task Grpc_TwoMessagesInOneUnaryCall_RefusedAsTheWorkerRefusesIt_GatewayStaysUp()
    {
        // The gateway forwards a unary call's body whole and untouched: what a worker says to it directly, it says
        // through the gateway.
        var message = Infer.GrpcRequest(version: "1").ToByteArray();
        var body = new byte[2 * (5 + message.Length)];
        for (var i = 0; i < 2; i++)
        {
            var at = i * (5 + message.Length);
            BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(at + 1), (uint)message.Length);
            message.CopyTo(body, at + 5);
        }

        var direct = await RawGrpc.SendAsync(fixture.WorkerA.Listeners.GrpcPort, body);
        var routed = await RawGrpc.SendAsync(fixture.Gateway, body);

        Assert.NotEqual((int)StatusCode.OK, direct.GrpcStatus);
        Assert.Equal(direct, routed);
        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc);
        Assert.NotEmpty(response.Outputs);
    }

    /// <summary>
    /// Protobuf lets a field repeat, and the last one wins. The gateway routes by the leading fields; a message that
    /// names another model or version further on must not be served as something the gateway didn't route.
    /// </summary>
    [Theory]
    [InlineData("version", "1", new byte[] { 0x12, 0x01, (byte)'2' }, "routed this request to version '1' but the request names version '2'")]
    [InlineData("version chosen by the policy", "", new byte[] { 0x12, 0x01, (byte)'2' }, "but the request names version '2'")]
    [InlineData("model", "1", new byte[] { 0x0A, 0x04, (byte)'n', (byte)'o', (byte)'p', (byte)'e' }, "routed this request by model_name 'tabular' but the message names 'nope'")]
    public async Task Grpc_FieldRepeatedAfterTheLeadingOnes_InvalidArgument_NotServedAsAnother(string what, string version, byte[] trailer, string expected)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var message = Infer.GrpcRequest(version: version).ToByteArray();
        var body = new byte[5 + message.Length + trailer.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)(message.Length + trailer.Length));
        message.CopyTo(body, 5);
        trailer.CopyTo(body, 5 + message.Length);

        var (status, detail) = await RawGrpc.SendAsync(fixture.Gateway, body);

        Assert.True(status == (int)StatusCode.InvalidArgument, $"{what}: {status} {detail}");
        Assert.Contains(expected, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(9)]
    public async Task Grpc_MessageArrivingInPieces_RoutedOnceItsLeadingFieldsArrive(int firstPiece)
    {
        // The first piece ends inside the frame header (3) or inside model_name (9): the gateway waits for more.
        var (status, message, body) = await RawGrpc.SendAsync(fixture.Gateway.Listeners.GrpcPort, new RawGrpc.TwoPieces(RawGrpc.Frame(Infer.GrpcRequest().ToByteArray()), firstPiece, TimeSpan.FromMilliseconds(200)));

        Assert.True(status == 0, $"{(StatusCode)status} {message}");
        var answer = Serving.Protocol.Inference.ModelInferResponse.Parser.ParseFrom(body.AsSpan(5).ToArray());
        Assert.Equal("tabular", answer.ModelName);
        Assert.NotEmpty(answer.Outputs);

        // Refused the same way: an unknown model whose name arrives late.
        (status, message, _) = await RawGrpc.SendAsync(fixture.Gateway.Listeners.GrpcPort, new RawGrpc.TwoPieces(RawGrpc.Frame([0x0A, 0x04, .. "nope"u8]), firstPiece, TimeSpan.FromMilliseconds(200)));
        Assert.True(status == (int)StatusCode.NotFound, $"{(StatusCode)status} {message}");
        Assert.Contains("unknown model 'nope'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_UnknownMethod_Unimplemented()
    {
        var method = new Method<Google.Protobuf.WellKnownTypes.Empty, Google.Protobuf.WellKnownTypes.Empty>(
            MethodType.Unary, "inference.GRPCInferenceService", "NoSuchMethod",
            Marshallers.Create(m => m.ToByteArray(), Google.Protobuf.WellKnownTypes.Empty.Parser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), Google.Protobuf.WellKnownTypes.Empty.Parser.ParseFrom));
        var invoker = fixture.Gateway.Channel.CreateCallInvoker();

        var e = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(method, null, new CallOptions(), new Google.Protobuf.WellKnownTypes.Empty()).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }
}
