using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Serving.Testing;
using Serving.Worker.Endpoints;
using Serving.Hosting.Http;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// Requests being read and decoded share Serving:Worker:RequestMemoryBytes, estimated from their sizes: one that would
/// not fit alone is 413 / RESOURCE_EXHAUSTED, one that doesn't fit beside those in is 429 with Retry-After, and every
/// share is given back however the request ends.
/// </summary>
public sealed class RequestMemoryBudgetTests
{
    private const long Budget = 1024 * 1024;

    private static Task<WorkerServer> StartAsync() => WorkerServer.StartAsync(
        RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Worker:RequestMemoryBytes"] = Budget.ToString(CultureInfo.InvariantCulture) });

    // The golden request, padded with trailing whitespace (valid JSON) to the length given.
    private static byte[] GoldenBody(int length)
    {
        var json = GoldenFile.Load("tabular", "1").RequestBody();
        return Encoding.UTF8.GetBytes(json + new string(' ', length - Encoding.UTF8.GetByteCount(json)));
    }

    private static StringContent Json(byte[] body) => new(Encoding.UTF8.GetString(body), Encoding.UTF8, "application/json");

    [Fact]
    public async Task JsonBodyThatWouldNotFitAlone_413_NamingTheSetting_WhileSmallerOnesAreServed()
    {
        await using var worker = await StartAsync();
        var tooBig = GoldenBody((int)(Budget / RequestMemoryEstimate.JsonFactor) + 1024);

        using var refused = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(tooBig));
        using var served = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(GoldenBody(4096)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Contains("over the 1 MB allowed for all requests at once (Serving:Worker:RequestMemoryBytes): send its tensors as binary data", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        await WaitForAllGivenBackAsync(worker);
    }

    [Fact]
    public async Task ChunkedJsonBodyGrowingPastTheBudget_413()
    {
        await using var worker = await StartAsync();
        using var content = new StreamContent(new NoLengthStream(GoldenBody((int)(Budget / RequestMemoryEstimate.JsonFactor) * 2)));
        content.Headers.ContentType = new("application/json");

        using var response = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", content); // no length: chunked

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Serving:Worker:RequestMemoryBytes", await response.Content.ReadAsStringAsync());
        await WaitForAllGivenBackAsync(worker);
    }

    [Fact]
    public async Task SlowBodyHoldsOnlyItsBytes_ABodyThatThenDoesNotFit_429WithRetryAfter_ServedOnceTheSlowOneIsAnswered()
    {
        await using var worker = await StartAsync();
        var budget = worker.Service<RequestMemoryBudget>();
        var slowLength = (int)(Budget / 32); // its bytes: 3% of the budget; decoded, about half
        var slowBody = GoldenBody(slowLength);
        var body = GoldenBody((int)(Budget / RequestMemoryEstimate.JsonFactor * 99 / 100)); // decoded, 99% of it

        // A client sends its headers and half its body, then stops: while the body comes it holds its bytes, not their
        // decoding estimate (a slow sender can't hold more of the budget than the memory it takes).
        using var slow = await RawHttp1.ConnectAsync(worker.Listeners.RestPort);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v2/models/tabular/versions/1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {slowLength}\r\n\r\n"));
        await stream.WriteAsync(slowBody.AsMemory(0, slowLength / 2));
        await UntilAsync(() => budget.Taken > 0, "the slow request's share taken");
        Assert.Equal(slowLength, budget.Taken);

        using (var refused = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(body)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("retry later", await refused.Content.ReadAsStringAsync());
        }

        // The slow body ends: its answer, then the same request again is served.
        await stream.WriteAsync(slowBody.AsMemory(slowLength / 2));
        var answer = new byte[256];
        var read = await stream.ReadAsync(answer);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(answer, 0, read));
        await WaitForAllGivenBackAsync(worker);
        using var served = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(body));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task SharesAreGivenBack_HoweverTheRequestEnds()
    {
        await using var worker = await StartAsync();
        var nearlyAll = (int)(Budget / RequestMemoryEstimate.JsonFactor) - 1024;

        // Bad JSON, a wrong input, an unknown version, a broken-off body: each ends; none may keep its share.
        using (await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(Encoding.UTF8.GetBytes("{\"inputs\": [" + new string(' ', nearlyAll)))))
        using (await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(Encoding.UTF8.GetBytes("{\"inputs\": []}" + new string(' ', nearlyAll)))))
        using (await worker.Http.PostAsync("/v2/models/tabular/versions/9/infer", Json(GoldenBody(nearlyAll))))
        {
        }

        using (var broken = new TcpClient { LingerState = new LingerOption(true, 0) })
        {
            await broken.ConnectAsync("127.0.0.1", worker.Listeners.RestPort);
            await broken.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v2/models/tabular/versions/1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {nearlyAll}\r\n\r\n{{\"inputs\""));
            await UntilAsync(() => worker.Service<RequestMemoryBudget>().Taken > 0, "the broken request's share taken");
        }

        await WaitForAllGivenBackAsync(worker);
        using var served = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", Json(GoldenBody(nearlyAll)));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task GrpcMessageThatWouldNotFitAlone_ResourceExhausted_BeforeItIsParsed()
    {
        await using var worker = await StartAsync();
        var junk = new byte[(int)(Budget / RequestMemoryEstimate.BinaryFactor) + 1024]; // not even protobuf: refused unread

        var (status, message) = await RawGrpc.SendAsync(worker.Listeners.GrpcPort, RawGrpc.Frame(junk));

        Assert.Equal((int)StatusCode.ResourceExhausted, status);
        Assert.Contains("(Serving:Worker:RequestMemoryBytes)", message);
        await WaitForAllGivenBackAsync(worker);
        var golden = GoldenFile.Load("tabular", "1");
        var request = new Serving.Protocol.Inference.ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new Serving.Protocol.Inference.ModelInferRequest.Types.InferInputTensor { Name = golden.InputName, Datatype = "FP32", Contents = new() };
        input.Shape.AddRange(golden.InputShape);
        input.Contents.Fp32Contents.AddRange(golden.Input);
        request.Inputs.Add(input);
        var reply = await worker.Grpc.ModelInferAsync(request);
        Assert.Equal("1", reply.ModelVersion);
    }

    /// <summary>
    /// A message of one-byte BYTES elements fits the budget by its bytes (4×) but decodes to an object per element, far
    /// more (two 30 MB messages took a worker to 2.3 GB). It is refused before protobuf decodes it now; before, it was
    /// decoded and then refused for its datatype.
    /// </summary>
    [Fact]
    public async Task GrpcMessageOfTinyBytesElements_DecodingWouldNotFit_ResourceExhausted_BeforeItIsDecoded()
    {
        await using var worker = await StartAsync();
        var request = TinyElements(count: 50_000, size: 1); // 150 KB: 600 KB by its bytes, about 3 MB decoded
        Assert.InRange(request.CalculateSize() * (long)RequestMemoryEstimate.BinaryFactor, InferRequestMemory.WalkFrom, Budget);

        var (status, message) = await RawGrpc.SendAsync(worker.Listeners.GrpcPort, RawGrpc.Frame(request.ToByteArray()));

        Assert.Equal((int)StatusCode.ResourceExhausted, status);
        Assert.Contains("(Serving:Worker:RequestMemoryBytes)", message);
        Assert.Contains("send BYTES tensors as raw_input_contents", message);
        await WaitForAllGivenBackAsync(worker);
    }

    /// <summary>Tiny elements that fit once their share is raised: decoded (then refused for the model's datatype), and the raised share given back.</summary>
    [Fact]
    public async Task GrpcMessageOfSmallBytesElementsThatFits_Decoded_TheRaisedShareGivenBack()
    {
        await using var worker = await StartAsync();
        var request = TinyElements(count: 8_000, size: 10); // 96 KB: 384 KB by its bytes, about 700 KB decoded

        var (status, message) = await RawGrpc.SendAsync(worker.Listeners.GrpcPort, RawGrpc.Frame(request.ToByteArray()));

        Assert.True(status == (int)StatusCode.InvalidArgument, $"{status}: {message}");
        await WaitForAllGivenBackAsync(worker);
    }

    private static Serving.Protocol.Inference.ModelInferRequest TinyElements(int count, int size)
    {
        var request = new Serving.Protocol.Inference.ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new Serving.Protocol.Inference.ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "BYTES", Contents = new() };
        input.Shape.Add(count);
        input.Contents.BytesContents.AddRange(Enumerable.Repeat(ByteString.CopyFrom(new byte[size]), count));
        request.Inputs.Add(input);
        return request;
    }

    private static Task WaitForAllGivenBackAsync(WorkerServer worker) =>
        UntilAsync(() => worker.Service<RequestMemoryBudget>().Taken == 0, "every share given back");

    // A hang guard, not a timing assertion: fails when the condition has not held within 20 s.
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 20 s: {what}");
            await Task.Delay(10);
        }
    }

    // A stream whose length HttpClient can't know, so the body goes chunked.
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
