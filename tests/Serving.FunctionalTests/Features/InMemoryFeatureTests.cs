using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Features;

/// <summary>Without Redis (<c>serving up</c>'s defaults) the same code runs on the in-memory store loaded from features.csv.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class InMemoryFeatureTests(SharedWorkerFixture fixture)
{
    [Fact]
    public async Task EntityForm_InMemoryStore_SameOutputsAsGolden()
    {
        var golden = GoldenFile.Load("tabular", "2");
        var ids = FeatureTestData.GoldenCustomerIds(golden);

        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/versions/2/infer", new StringContent(FeatureTestData.EntityBody(ids)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var i = 0; i < data.Length; i++)
        {
            Assert.True(Math.Abs(golden.Expected[i] - data[i]) <= 1e-5, $"element {i}");
        }
    }

    [Fact]
    public async Task RequestTimeColumn_OverridesTheStoredField()
    {
        var golden = GoldenFile.Load("tabular", "1");
        var id = FeatureTestData.GoldenCustomerIds(golden)[0];
        var inlineRow = golden.Input[..30].ToArray();
        inlineRow[0] = 28.5f; // mean_radius, sent by the caller

        var inline = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", inlineRow.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}}]}]}""";
        var entity = $$"""{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[1],"data":[{{id}}]},{"name":"mean_radius","datatype":"FP32","shape":[1],"data":[28.5]}]}""";

        Assert.Equal(await OutputAsync(inline), await OutputAsync(entity));
    }

    [Fact]
    public async Task EntityForm_BytesIds_SameOutputsAsInt64Ids_RestAndGrpc()
    {
        long[] ids = [11, 12, 13];
        var bytes = """{"inputs":[{"name":"customer_id","datatype":"BYTES","shape":[3],"data":["11","12","13"]}]}""";
        var expected = await OutputAsync(FeatureTestData.EntityBody(ids));
        Assert.Equal(expected, await OutputAsync(bytes));

        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "customer_id", Datatype = "BYTES", Contents = new InferTensorContents() };
        input.Shape.Add(ids.Length);
        input.Contents.BytesContents.AddRange(ids.Select(i => ByteString.CopyFromUtf8(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        request.Inputs.Add(input);
        var byBytes = await fixture.Server.Grpc.ModelInferAsync(request);
        var byInt64 = await fixture.Server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", ids));
        Assert.Equal(byInt64.Outputs[0].Contents.Fp32Contents, byBytes.Outputs[0].Contents.Fp32Contents);
        Assert.False(byBytes.Parameters.ContainsKey("features_defaulted_rows")); // every id was found, none defaulted
    }

    public static TheoryData<string, string> BadEntityRequests => new()
    {
        { """{"inputs":[{"name":"customer_id","datatype":"FP32","shape":[1],"data":[1.0]}]}""", "INT64, INT32 or BYTES" },
        { """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[2,2],"data":[1,2,3,4]}]}""", "must have shape [N] or [N, 1]" },
        { """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[],"data":[1]}]}""", "must have shape [N] or [N, 1] with N >= 1, not []" },
        { """{"inputs":[{"name":"customer_id","datatype":"BYTES","shape":[],"data":["1"]}]}""", "must have shape [N] or [N, 1] with N >= 1, not []" },
        { """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[0],"data":[]}]}""", "must have shape [N] or [N, 1] with N >= 1, not [0]" },
        { """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[65],"data":[""" + string.Join(",", Enumerable.Range(1, 65)) + "]}]}", "over max_batch_size 64" },
        { """{"inputs":[{"name":"customer_id","datatype":"BYTES","shape":[1],"data":[""" + "\"" + new string('x', 300) + "\"" + "]}]}", "1 to 256 bytes" },
        { """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[2],"data":[1,2]},{"name":"mean_radius","datatype":"FP32","shape":[1],"data":[3.0]}]}""", "has 1 rows but 'customer_id' has 2" },
        { """{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[1],"data":[1]},{"name":"input","datatype":"FP32","shape":[1,30],"data":[""" + string.Join(",", Enumerable.Repeat("0.5", 30)) + "]}]}", "takes either 'customer_id' (its features come from the feature store) or 'input', not both" },
    };

    [Theory]
    [MemberData(nameof(BadEntityRequests))]
    public async Task EntityForm_BadInput_400WithReason(string body, string message)
    {
        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntityForm_ScalarIds_InvalidArgument()
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "customer_id", Datatype = "INT64", Contents = new InferTensorContents() };
        input.Contents.Int64Contents.Add(1); // shape [], a scalar: one element
        request.Inputs.Add(input);

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("must have shape [N] or [N, 1] with N >= 1, not []", error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// An id that is not UTF-8 is refused: before, each invalid byte was decoded as U+FFFD, so ids 0xFF and 0xFE (and
    /// "caf\xE9", "caf\xE8") read one and the same entity, stored under the replacement character, as another caller's.
    /// </summary>
    [Fact]
    public async Task EntityForm_IdNotUtf8_InvalidArgument()
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "customer_id", Datatype = "BYTES", Contents = new InferTensorContents() };
        input.Shape.Add(2);
        input.Contents.BytesContents.Add(ByteString.CopyFromUtf8("11"));
        input.Contents.BytesContents.Add(ByteString.CopyFrom(0x31, 0xFF));
        request.Inputs.Add(input);

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("entity ids must be valid UTF-8 text", error.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<string> OutputAsync(string body)
    {
        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").GetRawText();
    }
}
