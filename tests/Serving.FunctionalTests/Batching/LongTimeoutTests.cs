using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Batching;

/// <summary>
/// A caller's timeout of a day or more (Triton's clients send the 'timeout' parameter as a uint64 of µs) sets no
/// deadline: the request runs, whether it waits in a batcher's queue or runs on a model without batching. These
/// timeouts used to overflow: 500 (a queue's timer refuses waits past ~49.7 days) or an instant 504. Such a timeout is
/// the caller's: the model's <c>default_timeout_ms</c> does not replace it (it did, as if the caller had given none).
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class LongTimeoutTests(SharedWorkerFixture fixture, LongTimeoutTests.QueuedWorker queued, LongTimeoutTests.DefaultTimeoutWorker withDefault)
    : IClassFixture<LongTimeoutTests.QueuedWorker>, IClassFixture<LongTimeoutTests.DefaultTimeoutWorker>
{
    private static readonly string Row = "[" + string.Join(",", Enumerable.Repeat("1.0", 30)) + "]";

    public static TheoryData<string> ParameterMicros => new()
    {
        "86400000000",          // a day exactly
        "5184000000000",        // 60 days: past what a .NET timer takes
        "9223372036854775807",  // long.MaxValue
        "18446744073709551615", // ulong.MaxValue
        "18446744073709551616", // past ulong
        "1e30",
    };

    [Theory]
    [MemberData(nameof(ParameterMicros))]
    public async Task RestTimeoutParameter_ADayOrMore_QueuedRequestRuns(string micros)
    {
        var body = $$"""{"parameters":{"timeout":{{micros}}},"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":{{Row}}}]}""";
        using var response = await queued.Server.Http.PostAsync("/v2/models/tabular/infer", new StringContent(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"timeout {micros} µs: {(int)response.StatusCode} {text}");
    }

    [Theory]
    [InlineData("86400000")]
    [InlineData("5184000000")]
    [InlineData("9223372036854775807")]
    [InlineData("99999999999999999999")]
    public async Task RestTimeoutHeader_ADayOrMore_QueuedRequestRuns(string milliseconds)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer")
        {
            Content = new StringContent($$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":{{Row}}}]}"""),
        };
        request.Headers.Add("X-Serving-Timeout-Ms", milliseconds);
        using var response = await queued.Server.Http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"X-Serving-Timeout-Ms {milliseconds}: {(int)response.StatusCode} {text}");
    }

    public static TheoryData<string> GrpcParameters => new()
    {
        "int64:5184000000000",
        "int64:9223372036854775807",
        "uint64:18446744073709551615",
        "double:1e30",
    };

    [Theory]
    [MemberData(nameof(GrpcParameters))]
    public async Task GrpcTimeoutParameter_ADayOrMore_QueuedRequestRuns(string parameter)
    {
        var request = TabularRow();
        request.Parameters["timeout"] = Parameter(parameter);

        var response = await queued.Server.Grpc.ModelInferAsync(request);

        Assert.Equal("tabular", response.ModelName);
        Assert.Single(response.RawOutputContents);
    }

    [Theory]
    [MemberData(nameof(GrpcParameters))]
    public async Task GrpcTimeoutParameter_ADayOrMore_UnbatchedModelRuns(string parameter)
    {
        var request = new ModelInferRequest { ModelName = "fixed" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
        input.Shape.Add(4);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom([.. new[] { 1f, 2f, 3f, 4f }.SelectMany(BitConverter.GetBytes)]));
        request.Parameters["timeout"] = Parameter(parameter);

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        var y = response.RawOutputContents[0].ToByteArray();
        Assert.Equal([2f, 4f, 6f, 8f], Enumerable.Range(0, 4).Select(i => BitConverter.ToSingle(y, i * 4)));
    }

    [Fact]
    public async Task RestTimeoutParameter_LongMax_UnbatchedModelRuns()
    {
        var body = """{"parameters":{"timeout":9223372036854775807},"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,4]}]}""";
        using var response = await fixture.Server.Http.PostAsync("/v2/models/fixed/infer", new StringContent(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        var y = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle());
        Assert.Equal([2f, 4f, 6f, 8f], y);
    }

    /// <summary>
    /// A <c>grpc-timeout</c> under grpc-dotnet's 100 ns tick (which it reads as no deadline at all) leaves no time: the
    /// call fails DEADLINE_EXCEEDED without running, queued or not. It used to run as if it had no deadline.
    /// </summary>
    [Theory]
    [InlineData("0n", "tabular")]
    [InlineData("99n", "tabular")]
    [InlineData("0u", "tabular")]
    [InlineData("0m", "tabular")]
    [InlineData("0S", "tabular")]
    [InlineData("0H", "tabular")]
    [InlineData("100n", "tabular")]
    [InlineData("0n", "fixed")]
    [InlineData("1n", "fixed")]
    [InlineData("0M", "fixed")]
    public async Task GrpcTimeout_UnderATick_DeadlineExceeded(string timeout, string model)
    {
        var (status, message) = await RawGrpc.SendWithHeaderAsync(PortFor(model), RawGrpc.Frame(RequestFor(model).ToByteArray()), "grpc-timeout", timeout);

        Assert.True(status == (int)Grpc.Core.StatusCode.DeadlineExceeded, $"grpc-timeout {timeout} on {model}: status {status} '{message}'");
    }

    [Theory]
    [InlineData("5S", "tabular")]
    [InlineData("30000000u", "fixed")]
    [InlineData("bogus", "fixed")]
    [InlineData("", "fixed")]
    public async Task GrpcTimeout_TimeLeftOrNotATimeout_Runs(string timeout, string model)
    {
        var (status, message) = await RawGrpc.SendWithHeaderAsync(PortFor(model), RawGrpc.Frame(RequestFor(model).ToByteArray()), "grpc-timeout", timeout);

        Assert.True(status == 0, $"grpc-timeout '{timeout}' on {model}: status {status} '{message}'");
    }

    /// <summary>
    /// On a model whose default timeout (50 ms) ends long before its queue delay (1 s), a request without a timeout
    /// expires, and one whose caller gave a day or more, in any of the three ways, waits out the delay and runs.
    /// </summary>
    [Fact]
    public async Task DefaultTimeout_CallerTimeoutOfADayOrMore_OverridesIt()
    {
        var server = withDefault.Server;
        var body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":{{Row}}}]}""";
        var parameterBody = $$"""{"parameters":{"timeout":18446744073709551615},"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":{{Row}}}]}""";
        var uint64 = TabularRow();
        uint64.Parameters["timeout"] = Parameter("uint64:18446744073709551615");

        var none = PostAsync(body, header: null);
        var calls = new Dictionary<string, Task<string>>
        {
            ["X-Serving-Timeout-Ms 86399999"] = PostAsync(body, "86399999"),
            ["X-Serving-Timeout-Ms 86400000"] = PostAsync(body, "86400000"),
            ["X-Serving-Timeout-Ms 99999999999999999999"] = PostAsync(body, "99999999999999999999"),
            ["REST timeout 2^64 - 1 µs"] = PostAsync(parameterBody, header: null),
            ["gRPC timeout 2^64 - 1 µs"] = GrpcAsync(uint64, deadline: null),
            ["gRPC deadline in 2 days"] = GrpcAsync(TabularRow(), DateTime.UtcNow.AddDays(2)),
        };

        Assert.Equal("504", await none);
        foreach (var (call, outcome) in calls)
        {
            Assert.True(await outcome == "200", $"{call}: {await outcome}");
        }

        async Task<string> PostAsync(string content, string? header)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(content) };
            if (header is not null)
            {
                request.Headers.Add("X-Serving-Timeout-Ms", header);
            }

            using var response = await server.Http.SendAsync(request);
            return response.IsSuccessStatusCode ? "200" : $"{(int)response.StatusCode}";
        }

        async Task<string> GrpcAsync(ModelInferRequest request, DateTime? deadline)
        {
            try
            {
                await server.Grpc.ModelInferAsync(request, deadline: deadline);
                return "200";
            }
            catch (Grpc.Core.RpcException e)
            {
                return e.StatusCode.ToString();
            }
        }
    }

    /// <summary>
    /// Triton's <c>timeout</c> of 0 is "no timeout of the request's own" (TRITONSERVER_InferenceRequestSetTimeoutMicroseconds:
    /// "the default is 0"): the model's <c>default_timeout_ms</c> applies, as when none is given, and the 504 it ends in is
    /// not marked as the caller's; on a model without one the request runs. It used to be refused 400.
    /// </summary>
    [Fact]
    public async Task TimeoutParameterZero_IsNoTimeoutOfItsOwn_TheModelsDefaultApplies()
    {
        var zeroBody = $$"""{"parameters":{"timeout":0},"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":{{Row}}}]}""";
        foreach (var parameter in new[] { "int64:0", "uint64:0", "double:0" })
        {
            var request = TabularRow();
            request.Parameters["timeout"] = Parameter(parameter);
            var call = withDefault.Server.Grpc.ModelInferAsync(request);
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => call.ResponseAsync);
            Assert.True(error.StatusCode == Grpc.Core.StatusCode.DeadlineExceeded, $"{parameter} on the model with a default: {error.StatusCode} {error.Status.Detail}");
            Assert.Null(call.GetTrailers().GetValue(Serving.Protocol.Errors.CallerDeadlineMark.Header));

            var ran = TabularRow();
            ran.Parameters["timeout"] = Parameter(parameter);
            Assert.Single((await queued.Server.Grpc.ModelInferAsync(ran)).RawOutputContents);
        }

        using (var expired = await withDefault.Server.Http.PostAsync("/v2/models/tabular/infer", new StringContent(zeroBody)))
        {
            Assert.True(expired.StatusCode == HttpStatusCode.GatewayTimeout, $"REST timeout 0 on the model with a default: {(int)expired.StatusCode} {await expired.Content.ReadAsStringAsync()}");
            Assert.False(expired.Headers.Contains(Serving.Protocol.Errors.CallerDeadlineMark.Header));
        }

        using var response = await queued.Server.Http.PostAsync("/v2/models/tabular/infer", new StringContent(zeroBody));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"REST timeout 0: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private int PortFor(string model) => model == "tabular" ? queued.Server.Listeners.GrpcPort : fixture.Server.Listeners.GrpcPort;

    private static ModelInferRequest RequestFor(string model)
    {
        if (model == "tabular")
        {
            return TabularRow();
        }

        var request = new ModelInferRequest { ModelName = "fixed" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
        input.Shape.Add(4);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[16]));
        return request;
    }

    private static ModelInferRequest TabularRow()
    {
        var request = new ModelInferRequest { ModelName = "tabular" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[120]));
        return request;
    }

    private static InferParameter Parameter(string text)
    {
        var (kind, value) = (text.Split(':')[0], text.Split(':')[1]);
        return kind switch
        {
            "int64" => new InferParameter { Int64Param = long.Parse(value, CultureInfo.InvariantCulture) },
            "uint64" => new InferParameter { Uint64Param = ulong.Parse(value, CultureInfo.InvariantCulture) },
            _ => new InferParameter { DoubleParam = double.Parse(value, CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>A worker whose tabular batcher holds each request in its queue for 20 ms (a delay: no request runs inline).</summary>
    public sealed class QueuedWorker : IAsyncLifetime
    {
        private TempDirectory? _repository;

        public WorkerServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => (Server, _repository) = await BatchingServer.StartAsync("  max_queue_delay_us: 20000\n", "tabular");

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            _repository?.Dispose();
        }
    }

    /// <summary>A worker whose tabular batcher holds each request for 1 s, with a default timeout of 50 ms.</summary>
    public sealed class DefaultTimeoutWorker : IAsyncLifetime
    {
        private TempDirectory? _repository;

        public WorkerServer Server { get; private set; } = null!;

        public async Task InitializeAsync() =>
            (Server, _repository) = await BatchingServer.StartAsync("  max_queue_delay_us: 1000000\n  default_timeout_ms: 50\n", "tabular");

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            _repository?.Dispose();
        }
    }
}
