using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Serving.Protocol.Inference;

namespace Serving.FunctionalTests.Inference;

/// <summary>Every protocol datatype goes through ONNX Runtime (Identity models) and comes back equal, in every form.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class DatatypeTests(SharedWorkerFixture fixture)
{
    public static TheoryData<string> Datatypes => DatatypeCase.Names();

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task GrpcRaw_EveryDatatype_RoundTripsUnchanged(string wire)
    {
        var c = DatatypeCase.Get(wire);
        var request = Request(c);
        request.RawInputContents.Add(ByteString.CopyFrom(c.Raw()));

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.Equal(wire, response.Outputs[0].Datatype);
        Assert.Equal(c.Shape, response.Outputs[0].Shape);
        Assert.Equal(c.Raw(), response.RawOutputContents[0].ToByteArray());
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task GrpcTyped_EveryDatatype_RoundTripsUnchangedOrFp16TravelsRaw(string wire)
    {
        var c = DatatypeCase.Get(wire);
        var request = Request(c);
        var typed = c.Typed();
        if (typed is null)
        {
            // FP16 has no typed field: the server must refuse it in contents, not guess.
            request.Inputs[0].Contents = new InferTensorContents();
            request.Inputs[0].Contents.Fp32Contents.AddRange([1, 2, 3, 4, 5, 6]);
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
            return;
        }

        request.Inputs[0].Contents = typed;
        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.Empty(response.RawOutputContents);
        Assert.Equal(typed, response.Outputs[0].Contents);
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task RestJson_EveryDatatype_RoundTripsUnchanged(string wire)
    {
        var c = DatatypeCase.Get(wire);
        var body = $$"""{"inputs":[{"name":"INPUT0","datatype":"{{wire}}","shape":[2,3],"data":{{c.JsonData()}}}]}""";

        using var response = await fixture.Server.Http.PostAsync($"/v2/models/{c.Model}/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);

        using var doc = JsonDocument.Parse(text);
        var output = doc.RootElement.GetProperty("outputs")[0];
        Assert.Equal(wire, output.GetProperty("datatype").GetString());
        Assert.Equal(c.JsonValues(), output.GetProperty("data").EnumerateArray().Select(e => e.GetRawText()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task RestBinary_EveryDatatype_RoundTripsUnchanged(string wire)
    {
        var c = DatatypeCase.Get(wire);
        var raw = c.Raw();
        var header = Encoding.UTF8.GetBytes(
            $$$"""{"inputs":[{"name":"INPUT0","datatype":"{{{wire}}}","shape":[2,3],"parameters":{"binary_data_size":{{{raw.Length}}}}}],"outputs":[{"name":"OUTPUT0","parameters":{"binary_data":true}}]}""");
        using var content = new ByteArrayContent([.. header, .. raw]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await fixture.Server.Http.PostAsync($"/v2/models/{c.Model}/infer", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, Encoding.UTF8.GetString(body));

        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(raw, body[jsonLength..]);
    }

    /// <summary>
    /// BYTES that are not UTF-8 text can't be a JSON string: asked for as JSON they are refused, saying how to get them
    /// (they came back as "\uFFFD\uFFFD", changed without a word); asked for as binary data they come back as sent.
    /// </summary>
    [Fact]
    public async Task RestBytesOutput_NotUtf8_RefusedAsJson_SaysToAskForBinary_ExactAsBinary()
    {
        byte[] element = [0xFF, 0xFE, (byte)'a'];
        byte[] raw = [3, 0, 0, 0, .. element, 1, 0, 0, 0, (byte)'b'];
        const string Input = """{"inputs":[{"name":"INPUT0","datatype":"BYTES","shape":[1,2],"parameters":{"binary_data_size":12}}]""";

        var (status, json, _) = await PostBinaryAsync(Input + "}", raw);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
        Assert.Equal(
            """output 'OUTPUT0' element 0 is not UTF-8 text, which a JSON answer can't carry unchanged: ask for it as binary data ("outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": true}}]), or call over gRPC""",
            JsonDocument.Parse(json).RootElement.GetProperty("error").GetString());

        (status, _, var binary) = await PostBinaryAsync(Input + ""","outputs":[{"name":"OUTPUT0","parameters":{"binary_data":true}}]}""", raw);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal(raw, binary);
    }

    [Fact]
    public async Task GrpcRaw_ModelWithEveryDatatypeAtOnce_ReturnsEachInputAsItsOutput()
    {
        var request = new ModelInferRequest { ModelName = "identity" };
        foreach (var c in DatatypeCase.All)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "in_" + c.Model["identity_".Length..], Datatype = c.Wire };
            input.Shape.AddRange(c.Shape);
            request.Inputs.Add(input);
            request.RawInputContents.Add(ByteString.CopyFrom(c.Raw()));
        }

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.Equal(DatatypeCase.All.Length, response.Outputs.Count);
        foreach (var c in DatatypeCase.All)
        {
            var index = response.Outputs.ToList().FindIndex(o => o.Name == "out_" + c.Model["identity_".Length..]);
            Assert.True(index >= 0, c.Wire);
            Assert.Equal(c.Raw(), response.RawOutputContents[index].ToByteArray());
        }
    }

    [Fact]
    public async Task GrpcRaw_RequestedOutputs_OnlyThoseComeBackInThatOrder()
    {
        var request = new ModelInferRequest { ModelName = "identity" };
        foreach (var c in DatatypeCase.All)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "in_" + c.Model["identity_".Length..], Datatype = c.Wire };
            input.Shape.AddRange(c.Shape);
            request.Inputs.Add(input);
            request.RawInputContents.Add(ByteString.CopyFrom(c.Raw()));
        }

        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "out_fp64" });
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "out_bytes" });

        var response = await fixture.Server.Grpc.ModelInferAsync(request);

        Assert.Equal(["out_fp64", "out_bytes"], response.Outputs.Select(o => o.Name));
        Assert.Equal(DatatypeCase.Get("FP64").Raw(), response.RawOutputContents[0].ToByteArray());
        Assert.Equal(DatatypeCase.Get("BYTES").Raw(), response.RawOutputContents[1].ToByteArray());
    }

    private static ModelInferRequest Request(DatatypeCase c)
    {
        var request = new ModelInferRequest { ModelName = c.Model, ModelVersion = "1", Id = "dt-" + c.Wire };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = c.Wire };
        input.Shape.AddRange(c.Shape);
        request.Inputs.Add(input);
        return request;
    }

    // A binary-data request (JSON header, then raw) to identity_bytes: the status, the JSON part and the binary part.
    private async Task<(System.Net.HttpStatusCode Status, string Json, byte[] Binary)> PostBinaryAsync(string header, byte[] raw)
    {
        var json = Encoding.UTF8.GetBytes(header);
        using var content = new ByteArrayContent([.. json, .. raw]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await fixture.Server.Http.PostAsync("/v2/models/identity_bytes/infer", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        var jsonLength = response.Headers.TryGetValues("Inference-Header-Content-Length", out var values)
            ? int.Parse(values.Single(), System.Globalization.CultureInfo.InvariantCulture)
            : body.Length;
        return (response.StatusCode, Encoding.UTF8.GetString(body, 0, jsonLength), body[jsonLength..]);
    }
}
