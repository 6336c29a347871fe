using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>
/// The gateway answers a unary gRPC call in the frames the worker used: an error as one HEADERS frame that ends
/// the stream (a trailers-only answer), a reply as HEADERS, DATA, then the trailers' HEADERS ending the stream.
/// grpcio (Triton's and KServe's Python clients) reads a trailers-only answer sent as HEADERS and then an empty DATA
/// frame with END_STREAM as UNKNOWN "Stream removed", losing the worker's status and message.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GrpcFramingTests(GatewayFixture fixture)
{
    private const string TrailersOnly = "HEADERS+END_STREAM";

    public static TheoryData<string> WorkerErrors => new() { "raw content a byte short", "unknown output", "wrong datatype" };

    [Theory]
    [MemberData(nameof(WorkerErrors))]
    public async Task WorkersError_TrailersOnly_AsTheWorkerSentIt(string error)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var body = RawGrpc.Frame(Request(error).ToByteArray());

        var direct = await Http2Frames.CallAsync(fixture.WorkerA.Listeners.GrpcPort, body);
        var routed = await Http2Frames.CallAsync(fixture.Gateway.Listeners.GrpcPort, body);

        Assert.Equal([TrailersOnly], Kinds(direct));
        Assert.Equal([TrailersOnly], Kinds(routed));
    }

    /// <summary>
    /// A call the policy routes while a shadow takes a copy: the gateway keeps a copy of the primary's answer to compare,
    /// and an error must still leave as the worker sent it (it left as HEADERS, then an empty DATA frame: grpcio's UNKNOWN).
    /// </summary>
    [Theory]
    [MemberData(nameof(WorkerErrors))]
    public async Task WorkersError_WhileShadowed_TrailersOnly(string error)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}, "shadow": {"version": "2", "percent": 100}}""");
        try
        {
            var body = RawGrpc.Frame(Request(error, version: "").ToByteArray());

            var routed = await Http2Frames.CallAsync(fixture.Gateway.Listeners.GrpcPort, body);

            Assert.Equal([TrailersOnly], Kinds(routed));
        }
        finally
        {
            await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        }
    }

    [Fact]
    public async Task Reply_WhileShadowed_HeadersMessageTrailers()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}, "shadow": {"version": "2", "percent": 100}}""");
        try
        {
            var routed = await Http2Frames.CallAsync(fixture.Gateway.Listeners.GrpcPort, RawGrpc.Frame(Infer.GrpcRequest().ToByteArray()));

            Assert.Equal(["HEADERS", "DATA", TrailersOnly], Kinds(routed));
        }
        finally
        {
            await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        }
    }

    [Fact]
    public async Task GatewaysOwnError_TrailersOnly()
    {
        var body = RawGrpc.Frame(Infer.GrpcRequest(model: "nope").ToByteArray());

        var routed = await Http2Frames.CallAsync(fixture.Gateway.Listeners.GrpcPort, body);

        Assert.Equal([TrailersOnly], Kinds(routed));
    }

    [Fact]
    public async Task Reply_HeadersMessageTrailers_AsTheWorkerSentIt()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var body = RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray());

        var direct = await Http2Frames.CallAsync(fixture.WorkerA.Listeners.GrpcPort, body);
        var routed = await Http2Frames.CallAsync(fixture.Gateway.Listeners.GrpcPort, body);

        Assert.Equal(["HEADERS", "DATA", TrailersOnly], Kinds(direct));
        Assert.Equal(Kinds(direct), Kinds(routed));
    }

    private static ModelInferRequest Request(string error, string version = "1")
    {
        var request = Infer.GrpcRequest(version: version);
        switch (error)
        {
            case "raw content a byte short":
                var input = request.Inputs[0];
                var raw = input.Contents.Fp32Contents.SelectMany(BitConverter.GetBytes).ToArray();
                input.Contents = null;
                request.RawInputContents.Add(ByteString.CopyFrom(raw, 0, raw.Length - 1));
                break;
            case "unknown output":
                request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "nope" });
                break;
            default:
                request.Inputs[0].Datatype = "INT64";
                break;
        }

        return request;
    }

    // Frame kinds in order, the DATA frames of one message taken as one (a server may split a message), lengths left out.
    private static List<string> Kinds(IReadOnlyList<Http2Frames.Frame> frames)
    {
        var kinds = new List<string>();
        foreach (var frame in frames)
        {
            var kind = frame.ToString()[..frame.ToString().IndexOf('(', StringComparison.Ordinal)];
            if (kind == "DATA" && kinds.Count > 0 && kinds[^1] == "DATA")
            {
                continue;
            }

            kinds.Add(kind);
        }

        return kinds;
    }
}
