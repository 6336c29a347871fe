using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>The server's outputs equal the training framework's (golden.json) in every protocol form.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class GoldenOutputTests(SharedWorkerFixture fixture)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, string> Models => new() { { "tabular", "1" }, { "tabular", "2" }, { "digits", "1" } };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task RestJson_GoldenInput_MatchesFrameworkOutputs(string model, string version)
    {
        var golden = GoldenFile.Load(model, version);
        using var response = await fixture.Server.Http.PostAsync(
            $"/v2/models/{model}/versions/{version}/infer", new StringContent(golden.RequestBody(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);

        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        Assert.Equal(model, root.GetProperty("model_name").GetString());
        Assert.Equal(version, root.GetProperty("model_version").GetString());
        Assert.Equal("golden", root.GetProperty("id").GetString());
        var output = root.GetProperty("outputs")[0];
        Assert.Equal(golden.OutputName, output.GetProperty("name").GetString());
        Assert.Equal(golden.OutputShape, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        AssertClose(golden.Expected, output.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task RestBinary_GoldenInput_MatchesFrameworkOutputs(string model, string version)
    {
        var golden = GoldenFile.Load(model, version);
        var raw = MemoryMarshal.AsBytes(golden.Input.AsSpan()).ToArray();
        var header = JsonSerializer.SerializeToUtf8Bytes(new
        {
            inputs = new[] { new { name = golden.InputName, datatype = "FP32", shape = golden.InputShape, parameters = new { binary_data_size = raw.Length } } },
            parameters = new { binary_data_output = true },
        });
        using var content = new ByteArrayContent([.. header, .. raw]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await fixture.Server.Http.PostAsync($"/v2/models/{model}/versions/{version}/infer", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, Encoding.UTF8.GetString(body));

        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        using var doc = JsonDocument.Parse(body.AsMemory(0, jsonLength));
        var output = doc.RootElement.GetProperty("outputs")[0];
        Assert.False(output.TryGetProperty("data", out _));
        var size = output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
        Assert.Equal(body.Length - jsonLength, size);
        var values = MemoryMarshal.Cast<byte, float>(body.AsSpan(jsonLength)).ToArray().Select(f => (double)f).ToArray();
        AssertClose(golden.Expected, values);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task GrpcTyped_GoldenInput_MatchesFrameworkOutputsInTypedForm(string model, string version)
    {
        var golden = GoldenFile.Load(model, version);
        var request = Request(model, version, golden);
        request.Inputs[0].Contents = new InferTensorContents();
        request.Inputs[0].Contents.Fp32Contents.AddRange(golden.Input);

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.Equal(version, response.ModelVersion);
        Assert.Equal("golden-grpc", response.Id);
        Assert.Empty(response.RawOutputContents);
        Assert.Equal(golden.OutputShape, response.Outputs[0].Shape);
        AssertClose(golden.Expected, response.Outputs[0].Contents.Fp32Contents.Select(f => (double)f).ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task GrpcRaw_GoldenInput_MatchesFrameworkOutputsInRawForm(string model, string version)
    {
        var golden = GoldenFile.Load(model, version);
        var request = Request(model, version, golden);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(golden.Input.AsSpan())));

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.Single(response.RawOutputContents);
        Assert.Null(response.Outputs[0].Contents);
        var values = MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray().Select(f => (double)f).ToArray();
        AssertClose(golden.Expected, values);
    }

    [Fact]
    public async Task RestJson_NestedData_EqualsFlatData()
    {
        var golden = GoldenFile.Load("tabular", "1");
        var rows = golden.Input.Chunk(30).ToArray();
        var body = JsonSerializer.Serialize(new { inputs = new[] { new { name = "input", datatype = "FP32", shape = golden.InputShape, data = rows } } });

        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        AssertClose(golden.Expected, doc.RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    [Fact]
    public async Task RestJson_NoVersion_GoesToNewestReadyVersion()
    {
        var golden = GoldenFile.Load("tabular", "2");
        using var response = await fixture.Server.Http.PostAsync("/v2/models/tabular/infer", new StringContent(golden.RequestBody()));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("2", doc.RootElement.GetProperty("model_version").GetString());
        AssertClose(golden.Expected, doc.RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    private static ModelInferRequest Request(string model, string version, GoldenFile golden)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = "golden-grpc" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = golden.InputName, Datatype = "FP32" };
        input.Shape.AddRange(golden.InputShape);
        request.Inputs.Add(input);
        return request;
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
