using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>Every bad request gets a clear 4xx or the right gRPC status, with a message that names the problem and no paths.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class BadInputTests(SharedWorkerFixture fixture)
{
    private static string Tabular(string shape, string data, string datatype = "FP32", string name = "input") =>
        $$"""{"inputs":[{"name":"{{name}}","datatype":"{{datatype}}","shape":{{shape}},"data":{{data}}}]}""";

    private static readonly string Row = "[" + string.Join(",", Enumerable.Repeat("1.0", 30)) + "]";

    // A tabular row with a request-level 'timeout' parameter (Triton's, in microseconds).
    private static string WithTimeout(string value) => $$"""{"parameters":{"timeout":{{value}}},""" + Tabular("[1,30]", Row)[1..];

    public static TheoryData<string, string, HttpStatusCode, string> RestCases => new()
    {
        { "/v2/models/nosuch/infer", Tabular("[1,30]", Row), HttpStatusCode.NotFound, "unknown model 'nosuch'" },
        { "/v2/models/tabular/versions/9/infer", Tabular("[1,30]", Row), HttpStatusCode.NotFound, "has no version '9'" },
        { "/v2/models/tabular/versions/abc/infer", Tabular("[1,30]", Row), HttpStatusCode.NotFound, "has no version" },
        { "/v2/models/tabular/infer", Tabular("[1,30]", Row, name: "wrong"), HttpStatusCode.BadRequest, "has no input 'wrong'" },
        { "/v2/models/tabular/infer", Tabular("[1,30]", Row, datatype: "FP64"), HttpStatusCode.BadRequest, "is FP32, but the request sent FP64" },
        { "/v2/models/tabular/infer", Tabular("[1,30]", Row, datatype: "FP99"), HttpStatusCode.BadRequest, "unknown datatype 'FP99'" },
        { "/v2/models/tabular/infer", Tabular("[30]", Row), HttpStatusCode.BadRequest, "(rank 2)" },
        { "/v2/models/tabular/infer", Tabular("[1,29]", Row), HttpStatusCode.BadRequest, "more elements than its shape holds (29)" },
        { "/v2/models/tabular/infer", Tabular("[1,31]", Row), HttpStatusCode.BadRequest, "needs 31" },
        { "/v2/models/tabular/infer", Tabular("[2,30]", Row), HttpStatusCode.BadRequest, "needs 60" },
        { "/v2/models/tabular/infer", Tabular("[-1,30]", Row), HttpStatusCode.BadRequest, "negative dimension" },
        { "/v2/models/tabular/infer", Tabular("[0,30]", "[]"), HttpStatusCode.BadRequest, "zero-sized dimension" },
        { "/v2/models/tabular/infer", Tabular("[100,30]", "[]"), HttpStatusCode.BadRequest, "needs 3000" },
        { "/v2/models/tabular/infer", Tabular("[1,30]", Row.Replace("[1.0", "[\"a\"", StringComparison.Ordinal)), HttpStatusCode.BadRequest, "is not a FP32 value" },
        { "/v2/models/tabular/infer", Tabular("[1,200000]", "[]"), HttpStatusCode.RequestEntityTooLarge, "elements allowed per tensor" },
        { "/v2/models/tabular/infer", Tabular("[1099511627776,1099511627776]", "[]"), HttpStatusCode.RequestEntityTooLarge, "elements allowed per tensor" },
        { "/v2/models/tabular/infer", """{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[1,2""", HttpStatusCode.BadRequest, "malformed JSON" },
        { "/v2/models/tabular/infer", "[]", HttpStatusCode.BadRequest, "must be a JSON object" },
        { "/v2/models/tabular/infer", "{}", HttpStatusCode.BadRequest, "needs an 'inputs' array" },
        { "/v2/models/tabular/infer", """{"inputs":[]}""", HttpStatusCode.BadRequest, "needs input 'input'" },
        { "/v2/models/tabular/infer", """{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30]}]}""", HttpStatusCode.BadRequest, "neither 'data' nor binary_data_size" },
        { "/v2/models/tabular/infer", """{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[]}],"outputs":[{"name":"nope"}]}""".Replace("\"data\":[]", "\"data\":" + Row, StringComparison.Ordinal), HttpStatusCode.BadRequest, "has no output 'nope'" },
        { "/v2/models/fixed/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[5],"data":[1,2,3,4,5]}]}""", HttpStatusCode.BadRequest, "has shape [4]" },
        { "/v2/models/identity_fp32/infer", """{"inputs":[{"name":"INPUT0","datatype":"FP32","shape":[9,1],"data":[1,2,3,4,5,6,7,8,9]}]}""", HttpStatusCode.BadRequest, "max_batch_size 8" },
        { "/v2/models/identity_int8/infer", """{"inputs":[{"name":"INPUT0","datatype":"INT8","shape":[1,1],"data":[200]}]}""", HttpStatusCode.BadRequest, "out of range" },
        { "/v2/models/identity_int32/infer", """{"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,1],"data":[1.5]}]}""", HttpStatusCode.BadRequest, "is not a INT32 value" },
        // The model and the path's version come first, as at the gateway: a broken body doesn't hide a wrong name.
        { "/v2/models/nosuch/infer", "not json", HttpStatusCode.NotFound, "unknown model 'nosuch'" },
        { "/v2/models/tabular/versions/9/infer", "{}", HttpStatusCode.NotFound, "has no version '9'" },
        { "/v2/models/..%2Fx/infer", "{}", HttpStatusCode.BadRequest, "model name is not valid" },
        { "/v2/models/..%2Fx/infer", Tabular("[1,30]", Row), HttpStatusCode.BadRequest, "model name is not valid" },
        { "/v2/models/a%2Fb/infer", Tabular("[1,30]", Row), HttpStatusCode.BadRequest, "model name is not valid" },
        { "/v2/models/..%2F..%2Fetc%2Fpasswd/infer", Tabular("[1,30]", Row), HttpStatusCode.BadRequest, "model name is not valid" },
        { "/v2/models/%2e%2e/infer", Tabular("[1,30]", Row), HttpStatusCode.NotFound, "no endpoint" },
        { "/v2/models/tabular/infer", WithTimeout("\"abc\""), HttpStatusCode.BadRequest, "parameter 'timeout' must be a number of microseconds" },
        { "/v2/models/tabular/infer", WithTimeout("true"), HttpStatusCode.BadRequest, "parameter 'timeout' must be a number of microseconds" },
        { "/v2/models/tabular/infer", WithTimeout("-5"), HttpStatusCode.BadRequest, "parameter 'timeout' must be a positive number of microseconds" },
        { "/v2/models/corrupt/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,4]}]}""", HttpStatusCode.ServiceUnavailable, "failed to load" },
    };

    [Theory]
    [InlineData("GET", "/v2/models/tabular/infer", "POST")]
    [InlineData("PUT", "/v2/models/tabular/versions/1/infer", "POST")]
    [InlineData("POST", "/v2/models/tabular", "GET")]
    [InlineData("PATCH", "/v2", "GET")]
    [InlineData("POST", "/metrics", "GET")]
    [InlineData("GET", "/v2/repository/models/tabular/load", "POST")]
    [InlineData("PUT", "/v2/repository/models/tabular/unload", "POST")]
    [InlineData("GET", "/v2/repository/index", "POST")]
    public async Task Rest_WrongMethodOnAProtocolPath_405_WithAllow(string method, string path, string allowed)
    {
        var (status, allow, error) = await RestCall.SendAsync(fixture.Server.Http, method, path);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal([allowed], allow);
        Assert.Contains($"use {allowed}", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A path whose last segment has a dot was left out of the fallback (MapFallback's "nonfile" pattern) and got ASP.NET's
    /// bare 404, without the protocol's error or, for a model named with a dot, the 405 and Allow of its path (found by the
    /// HTTP sweep, RestHttpFuzzTests).
    /// </summary>
    [Theory]
    [InlineData("GET", "/favicon.ico", 404, "no endpoint at GET /favicon.ico")]
    [InlineData("GET", "/v2/models/tabular/versions/1/i.fer", 404, "no endpoint at GET /v2/models/tabular/versions/1/i.fer")]
    [InlineData("POST", "/v2/models/my.model", 405, "POST is not allowed on /v2/models/my.model: use GET")]
    [InlineData("PUT", "/v2/models/tabular/versions/1.0", 405, "PUT is not allowed on /v2/models/tabular/versions/1.0: use GET")]
    public async Task Rest_PathEndingInASegmentWithADot_JsonError(string method, string path, int status, string message)
    {
        var (actual, _, error) = await RestCall.SendAsync(fixture.Server.Http, method, path);

        Assert.Equal(status, (int)actual);
        Assert.Equal(message, error);
    }

    [Fact]
    public async Task MetricsPort_WrongMethod405_OtherPaths404_JsonErrors()
    {
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.Server.Listeners.MetricsPort}") };

        var (status, allow, error) = await RestCall.SendAsync(metrics, "POST", "/metrics");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal(["GET"], allow);
        Assert.Contains("POST is not allowed on /metrics: use GET", error, StringComparison.Ordinal);

        (status, _, error) = await RestCall.SendAsync(metrics, "GET", "/v2/health/live");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("the metrics port answers GET /metrics only", error, StringComparison.Ordinal);

        Assert.Contains("serving_", await metrics.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RestCases))]
    public async Task RestInfer_BadRequest_ClearErrorWithoutPaths(string path, string body, HttpStatusCode status, string message)
    {
        using var response = await fixture.Server.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, response.StatusCode);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        Assert.Contains(message, error, StringComparison.Ordinal);
        AssertNoPaths(error);
    }

    [Fact]
    public async Task RestInfer_BodyOverLimit_413BeforeBuffering()
    {
        var huge = new byte[SharedWorkerFixture.MaxRequestBytes + 10];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new ByteArrayContent(huge) };

        // As curl does for large bodies: the 413 then arrives before any of the body is sent, never racing the upload.
        request.Headers.ExpectContinue = true;
        using var response = await fixture.Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("MaxRequestBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestInfer_ChunkedBodyOverLimit_413()
    {
        using var content = new StreamContent(new MemoryStream(new byte[SharedWorkerFixture.MaxRequestBytes + 10]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        using var response = await fixture.Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    public static TheoryData<string, int, string> BinaryCases => new()
    {
        { "wrong byte length", 119, "raw content is 119 bytes but FP32 with shape [1, 30] needs 120" },
        { "size past the end", 500, "runs past the end of the body" },
    };

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public async Task RestBinary_BadSizes_400(string why, int declaredSize, string message)
    {
        var raw = new byte[120];
        var header = Encoding.UTF8.GetBytes($$$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"parameters":{"binary_data_size":{{{declaredSize}}}}}]}""");
        var payload = why == "wrong byte length" ? raw[..119] : raw;
        using var content = new ByteArrayContent([.. header, .. payload]);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/infer", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc", "must be a non-negative integer")]
    [InlineData("-1", "must be a non-negative integer")]
    [InlineData("10, 20", "Inference-Header-Content-Length is given more than once (10, 20): give the length of the JSON part once")]
    [InlineData("99999999999", "Inference-Header-Content-Length 99999999999 is longer than the body")]
    [InlineData("5000", "Inference-Header-Content-Length 5000 is outside the body of")]
    public async Task RestBinary_HeaderLengthNotANumberOrPastTheBody_400_SaysWhich(string value, string message)
    {
        using var content = new StringContent(Tabular("[1,30]", Row));
        content.Headers.Add("Inference-Header-Content-Length", value);
        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/infer", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("100ms")]
    public async Task RestInfer_TimeoutHeaderNotAPositiveWholeNumber_400(string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(Tabular("[1,30]", Row)) };
        request.Headers.Add("X-Serving-Timeout-Ms", value);
        using var response = await fixture.Server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("X-Serving-Timeout-Ms must be a positive number of milliseconds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> GrpcTimeoutCases => new()
    {
        { "string:abc", "must be a number of microseconds" },
        { "bool:true", "must be a number of microseconds" },
        { "int64:-5", "must be a positive number of microseconds" },
        { "double:-0.5", "must be a positive number of microseconds" },
        { "double:NaN", "must be a positive number of microseconds" },
    };

    [Theory]
    [MemberData(nameof(GrpcTimeoutCases))]
    public async Task GrpcInfer_TimeoutParameterNotAPositiveNumber_InvalidArgument(string parameter, string message)
    {
        var (kind, text) = (parameter.Split(':')[0], parameter.Split(':')[1]);
        var request = new ModelInferRequest { ModelName = "tabular" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[120]));
        request.Parameters["timeout"] = kind switch
        {
            "string" => new InferParameter { StringParam = text },
            "bool" => new InferParameter { BoolParam = bool.Parse(text) },
            "int64" => new InferParameter { Int64Param = long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) },
            "double" => new InferParameter { DoubleParam = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture) },
            _ => new InferParameter { Uint64Param = ulong.Parse(text, System.Globalization.CultureInfo.InvariantCulture) },
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{parameter}: expected InvalidArgument, got {error.StatusCode}: {error.Status.Detail}");
        Assert.Contains($"parameter 'timeout' {message}", error.Status.Detail, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, StatusCode, string> GrpcCases => new()
    {
        { "unknown model", "nosuch|1|input|FP32|1,30|120", StatusCode.NotFound, "unknown model 'nosuch'" },
        { "unknown version", "tabular|7|input|FP32|1,30|120", StatusCode.NotFound, "has no version '7'" },
        { "wrong input name", "tabular||wrong|FP32|1,30|120", StatusCode.InvalidArgument, "has no input 'wrong'" },
        { "wrong datatype", "tabular||input|INT64|1,30|240", StatusCode.InvalidArgument, "is FP32, but the request sent INT64" },
        { "wrong rank", "tabular||input|FP32|30|120", StatusCode.InvalidArgument, "(rank 2)" },
        { "wrong shape", "tabular||input|FP32|1,29|116", StatusCode.InvalidArgument, "but the request sent [1, 29]" },
        { "raw wrong length", "tabular||input|FP32|1,30|100", StatusCode.InvalidArgument, "raw content is 100 bytes" },
        { "negative dim", "tabular||input|FP32|-1,30|120", StatusCode.InvalidArgument, "negative dimension" },
        { "zero dim", "tabular||input|FP32|0,30|0", StatusCode.InvalidArgument, "zero-sized dimension" },
        { "too many elements", "tabular||input|FP32|1,200000|0", StatusCode.ResourceExhausted, "elements allowed per tensor" },
        { "path-like ../x", "../x||input|FP32|1,30|120", StatusCode.InvalidArgument, "model name is not valid" },
        { "path-like a/b", "a/b||input|FP32|1,30|120", StatusCode.InvalidArgument, "model name is not valid" },
        { "path-like %2e%2e", "%2e%2e||input|FP32|1,30|120", StatusCode.InvalidArgument, "model name is not valid" },
        { "path-like ..", "..||input|FP32|1,30|120", StatusCode.InvalidArgument, "model name is not valid" },
        { "corrupt version", "corrupt||x|FP32|4|16", StatusCode.Unavailable, "failed to load" },
    };

    [Theory]
    [MemberData(nameof(GrpcCases))]
    public async Task GrpcInfer_BadRequest_RightStatusWithoutPaths(string why, string spec, StatusCode status, string message)
    {
        var parts = spec.Split('|');
        var request = new ModelInferRequest { ModelName = parts[0], ModelVersion = parts[1] };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = parts[2], Datatype = parts[3] };
        input.Shape.AddRange(parts[4].Split(',').Select(long.Parse));
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[int.Parse(parts[5], System.Globalization.CultureInfo.InvariantCulture)]));

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);

        Assert.True(status == error.StatusCode, $"{why}: expected {status}, got {error.StatusCode}: {error.Status.Detail}");
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
        AssertNoPaths(error.Status.Detail);
    }

    [Fact]
    public async Task GrpcInfer_TypedCountMismatch_InvalidArgument()
    {
        var request = new ModelInferRequest { ModelName = "tabular" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, 30]);
        input.Contents.Fp32Contents.AddRange(new float[29]);
        request.Inputs.Add(input);

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("has 29 elements but its shape [1, 30] needs 30", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcInfer_MessageOverLimit_ResourceExhausted()
    {
        var request = new ModelInferRequest { ModelName = "tabular" };
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[SharedWorkerFixture.MaxRequestBytes + 10]));

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task GrpcInfer_MalformedProtobuf_ErrorStatusAndServerStillServes()
    {
        var method = new Method<byte[], byte[]>(
            MethodType.Unary, "inference.GRPCInferenceService", "ModelInfer", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var invoker = fixture.Server.Channel.CreateCallInvoker();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await invoker.AsyncUnaryCall(method, null, default, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]));

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{error.StatusCode}: {error.Status.Detail}");
        var live = await fixture.Server.Grpc.ServerLiveAsync(new ServerLiveRequest());
        Assert.True(live.Live);
    }

    private static void AssertNoPaths(string message)
    {
        Assert.DoesNotContain("/tmp", message, StringComparison.Ordinal);
        Assert.DoesNotContain("/work", message, StringComparison.Ordinal);
        Assert.DoesNotContain("serving-tests-", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }
}
