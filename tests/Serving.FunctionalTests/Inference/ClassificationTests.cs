using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// Triton's classification extension against a real worker: an output asked for with <c>classification: K</c> comes back
/// as BYTES "value:index" strings, the K largest of each row, equal to the raw output of the same request.
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class ClassificationTests(SharedWorkerFixture fixture)
{
    [Fact]
    public async Task Rest_Top3OfDigits_SameValuesAsTheRawOutputLargestFirst()
    {
        var golden = GoldenFile.Load("digits", "1");
        var rows = (int)golden.InputShape[0];

        var output = await ClassifyAsync(golden, "digits", "1", 3);

        Assert.Equal("BYTES", output.GetProperty("datatype").GetString());
        Assert.Equal([rows, 3], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var classes = output.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToArray();
        AssertTopClasses(golden.Expected, rows, 3, classes);
    }

    [Fact]
    public async Task Rest_TabularWithLabelsFile_ValueIndexAndLabel()
    {
        var golden = GoldenFile.Load("tabular", "2");
        var rows = (int)golden.InputShape[0];

        var output = await ClassifyAsync(golden, "tabular", "2", 1);

        var classes = output.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(rows, classes.Length);
        string[] labels = ["malignant", "benign"]; // models/tabular/labels.txt: dataset target order
        for (var r = 0; r < rows; r++)
        {
            var winner = golden.Expected[(r * 2) + 1] > golden.Expected[r * 2] ? 1 : 0;
            Assert.EndsWith($":{winner}:{labels[winner]}", classes[r], StringComparison.Ordinal);
        }

        Assert.Contains(classes, c => c.EndsWith(":benign", StringComparison.Ordinal));
        Assert.Contains(classes, c => c.EndsWith(":malignant", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rest_BinaryDataAndClassification_BinaryBytesOutput()
    {
        var golden = GoldenFile.Load("digits", "1");
        var body = golden.RequestBody()[..^1] + ""","outputs":[{"name":"probabilities","parameters":{"classification":2,"binary_data":true}}]}""";

        using var response = await fixture.Server.Http.PostAsync("/v2/models/digits/versions/1/infer", new StringContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        var output = JsonDocument.Parse(bytes.AsMemory(0, headerLength)).RootElement.GetProperty("outputs")[0];
        Assert.Equal("BYTES", output.GetProperty("datatype").GetString());
        var size = output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
        Assert.Equal(bytes.Length - headerLength, size);

        // BYTES in binary: each element a 4-byte little-endian length, then its bytes.
        var first = BitConverter.ToInt32(bytes, headerLength);
        var text = System.Text.Encoding.UTF8.GetString(bytes, headerLength + 4, first);
        Assert.Matches("^[0-9.E+-]+:[0-9]$", text);
    }

    [Fact]
    public async Task Grpc_Int64Param_Top2_TypedAndRawRequestsAlike()
    {
        var golden = GoldenFile.Load("digits", "1");
        var rows = (int)golden.InputShape[0];
        foreach (var raw in new[] { false, true })
        {
            var request = new ModelInferRequest { ModelName = "digits", ModelVersion = "1" };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = golden.InputName, Datatype = "FP32" };
            input.Shape.AddRange(golden.InputShape);
            if (raw)
            {
                request.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(golden.Input.AsSpan())));
            }
            else
            {
                input.Contents = new InferTensorContents();
                input.Contents.Fp32Contents.AddRange(golden.Input);
            }

            request.Inputs.Add(input);
            var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" };
            output.Parameters["classification"] = new InferParameter { Int64Param = 2 };
            request.Outputs.Add(output);

            var response = await fixture.Server.Grpc.ModelInferAsync(request);

            Assert.Equal("BYTES", response.Outputs[0].Datatype);
            Assert.Equal([rows, 2L], response.Outputs[0].Shape);
            var classes = raw ? RawStrings(response.RawOutputContents[0].Span) : [.. response.Outputs[0].Contents.BytesContents.Select(b => b.ToStringUtf8())];
            AssertTopClasses(golden.Expected, rows, 2, classes);
        }
    }

    [Fact]
    public async Task BytesOutput_Refused_RestAndGrpc()
    {
        using var response = await fixture.Server.Http.PostAsync("/v2/models/identity_bytes/versions/1/infer", new StringContent(
            """{"inputs":[{"name":"INPUT0","datatype":"BYTES","shape":[1,1],"data":["a"]}],"outputs":[{"name":"OUTPUT0","parameters":{"classification":1}}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("output 'OUTPUT0' is BYTES: classification needs a numeric output", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var request = new ModelInferRequest { ModelName = "identity_bytes", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "BYTES", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, 1]);
        input.Contents.BytesContents.Add(ByteString.CopyFromUtf8("a"));
        request.Inputs.Add(input);
        var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "OUTPUT0" };
        output.Parameters["classification"] = new InferParameter { Int64Param = 1 };
        request.Outputs.Add(output);
        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task ServerMetadata_ListsTheExtension()
    {
        using var doc = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2"));

        Assert.Contains("classification", doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    /// <summary>The golden request over REST with <c>classification: k</c> on its output: the output, after a 200.</summary>
    private async Task<JsonElement> ClassifyAsync(GoldenFile golden, string model, string version, int k)
    {
        var body = golden.RequestBody()[..^1] + $$$""","outputs":[{"name":"{{{golden.OutputName}}}","parameters":{"classification":{{{k}}}}}]}""";
        using var response = await fixture.Server.Http.PostAsync($"/v2/models/{model}/versions/{version}/infer", new StringContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].Clone();
    }

    /// <summary>Each row's strings are the row's largest raw values, largest first, with their class index.</summary>
    private static void AssertTopClasses(double[] raw, int rows, int k, string[] classes)
    {
        var perRow = raw.Length / rows;
        Assert.Equal(rows * k, classes.Length);
        for (var r = 0; r < rows; r++)
        {
            var expected = Enumerable.Range(0, perRow).OrderByDescending(c => raw[(r * perRow) + c]).ThenBy(c => c).Take(k).ToArray();
            for (var i = 0; i < k; i++)
            {
                var parts = classes[(r * k) + i].Split(':');
                Assert.Equal(2, parts.Length);
                Assert.Equal(expected[i], int.Parse(parts[1], CultureInfo.InvariantCulture));
                Assert.True(Math.Abs(raw[(r * perRow) + expected[i]] - double.Parse(parts[0], CultureInfo.InvariantCulture)) <= 1e-5, classes[(r * k) + i]);
            }
        }
    }

    private static string[] RawStrings(ReadOnlySpan<byte> raw)
    {
        var strings = new List<string>();
        while (!raw.IsEmpty)
        {
            var length = BitConverter.ToInt32(raw);
            strings.Add(System.Text.Encoding.UTF8.GetString(raw.Slice(4, length)));
            raw = raw[(4 + length)..];
        }

        return [.. strings];
    }
}
