using System.Runtime.InteropServices;
using System.Text;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Rest;

public sealed class RestInferRequestReaderTests
{
    private const long Limit = 1024;

    [Fact]
    public void Read_JsonBody_DecodesInputsIdParametersAndOutputs()
    {
        const string json = """
            {
              "id": "req-1",
              "parameters": {"priority": 3, "temperature": 0.5, "tag": "a", "flag": true, "nested": {"x": 1}},
              "inputs": [
                {"name": "f", "datatype": "FP32", "shape": [2, 2], "data": [[1.5, -2], ["NaN", 4]]},
                {"name": "s", "datatype": "BYTES", "shape": [2], "data": ["héllo", ""]}
              ],
              "outputs": [{"name": "probabilities"}]
            }
            """;

        using var request = Read(json);

        Assert.Equal(("m", "1", "req-1"), (request.ModelName, request.ModelVersion, request.Id));
        Assert.Equal(3L, request.Parameters["priority"]);
        Assert.Equal(0.5, request.Parameters["temperature"]);
        Assert.Equal("a", request.Parameters["tag"]);
        Assert.Equal(true, request.Parameters["flag"]);
        Assert.False(request.Parameters.ContainsKey("nested"));
        Assert.False(request.BinaryOutputByDefault);
        Assert.Equal(["f", "s"], request.Inputs.Select(i => i.Name));
        TensorAssert.SameValues(TensorSamples.Fixed("f", DataType.FP32, [2, 2], new[] { 1.5f, -2f, float.NaN, 4f }), request.Inputs[0]);
        Assert.Equal(["héllo", ""], TensorAssert.StringsOf(request.Inputs[1]));
        Assert.Equal([new RequestedOutput("probabilities", null)], request.Outputs);
    }

    [Fact]
    public void Read_NoIdOrParameters_LeavesThemEmpty()
    {
        using var request = Read("""{"inputs": [{"name": "x", "datatype": "INT8", "shape": [1], "data": [-128]}]}""");

        Assert.Null(request.Id);
        Assert.Empty(request.Parameters);
        Assert.Empty(request.Outputs);
        Assert.Equal(-128, request.Inputs[0].As<sbyte>()[0]);
    }

    [Fact]
    public void Read_BinaryExtension_ReturnsFP32AndBytesInputs()
    {
        float[] floats = [1.5f, float.NegativeInfinity, -0f, float.MaxValue];
        var floatBytes = TensorSamples.LittleEndian(floats);
        var stringBytes = TensorSamples.RawStrings("ünï", "", "code");
        var json = $$$"""
            {"inputs": [
              {"name": "f", "datatype": "FP32", "shape": [2, 2], "parameters": {"binary_data_size": {{{floatBytes.Length}}}}},
              {"name": "s", "datatype": "BYTES", "shape": [3], "parameters": {"binary_data_size": {{{stringBytes.Length}}}}}
            ]}
            """;
        var (body, headerLength) = Body(json, floatBytes, stringBytes);

        using var request = RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null);

        Assert.Equal(2, request.Inputs.Count);
        TensorAssert.Identical(TensorSamples.Fixed("f", DataType.FP32, [2, 2], floats), request.Inputs[0]);
        Assert.Equal(DataType.Bytes, request.Inputs[1].DataType);
        Assert.Equal([3L], request.Inputs[1].Shape);
        Assert.Equal(["ünï", "", "code"], TensorAssert.StringsOf(request.Inputs[1]));
    }

    [Fact]
    public void Read_Utf8ByteOrderMark_IgnoredInPlainAndBinaryBodies()
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        const string Json = """{"id": "b", "inputs": [{"name": "f", "datatype": "FP32", "shape": [2], "data": [1.5, -2]}]}""";
        var floats = TensorSamples.LittleEndian([3f, 4f]);
        var header = Utf8("""{"inputs": [{"name": "g", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 8}}]}""");
        byte[] binary = [.. bom, .. header, .. floats];
        byte[] text = [.. bom, .. Utf8(Json)];

        using var plain = RestInferRequestReader.Read(text, null, "m", "1", Limit, null);
        using var withBinary = RestInferRequestReader.Read(binary, bom.Length + header.Length, "m", "1", Limit, null);

        Assert.Equal("b", plain.Id);
        TensorAssert.Identical(TensorSamples.Fixed("f", DataType.FP32, [2], new[] { 1.5f, -2f }), plain.Inputs[0]);
        TensorAssert.Identical(TensorSamples.Fixed("g", DataType.FP32, [2], new[] { 3f, 4f }), withBinary.Inputs[0]);
    }

    [Fact]
    public void Read_BinaryAndJsonInputsMixed_SlicesBinaryInInputOrder()
    {
        var a = TensorSamples.LittleEndian(1, 2);
        var c = TensorSamples.LittleEndian(3L);
        var json = """
            {"inputs": [
              {"name": "a", "datatype": "INT32", "shape": [2], "parameters": {"binary_data_size": 8}},
              {"name": "b", "datatype": "INT16", "shape": [1], "data": [7]},
              {"name": "c", "datatype": "INT64", "shape": [1], "parameters": {"binary_data_size": 8}}
            ]}
            """;
        var (body, headerLength) = Body(json, a, c);

        using var request = RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null);

        Assert.Equal([1, 2], request.Inputs[0].As<int>().ToArray());
        Assert.Equal([(short)7], request.Inputs[1].As<short>().ToArray());
        Assert.Equal([3L], request.Inputs[2].As<long>().ToArray());
    }

    [Fact]
    public void Read_BinaryInput_PointsIntoTheBody()
    {
        var (body, headerLength) = Body(
            """{"inputs": [{"name": "a", "datatype": "UINT8", "shape": [3], "parameters": {"binary_data_size": 3}}]}""",
            [7, 8, 9]);

        using var request = RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null);

        Assert.True(MemoryMarshal.TryGetArray(request.Inputs[0].Data, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(headerLength, segment.Offset);
    }

    [Fact]
    public void Read_ZeroSizedBinaryInput_Accepted()
    {
        var (body, headerLength) = Body(
            """{"inputs": [{"name": "a", "datatype": "FP32", "shape": [0], "parameters": {"binary_data_size": 0}}]}""");

        using var request = RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null);

        Assert.Equal(0, request.Inputs[0].Data.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void Read_HeaderLengthPastTheBody_ThrowsInvalidArgument(int extra)
    {
        var (body, _) = Body(OneBinaryFloat(4), new byte[4]);

        var e = InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, body.Length + extra, "m", "1", Limit, null));
        Assert.Contains("Inference-Header-Content-Length", e.Message);
    }

    [Fact]
    public void Read_NegativeHeaderLength_ThrowsInvalidArgument()
    {
        var (body, _) = Body(OneBinaryFloat(4), new byte[4]);

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, -1, "m", "1", Limit, null));
    }

    [Fact]
    public void Read_HeaderLengthCuttingTheJson_ThrowsInvalidArgument()
    {
        var (body, headerLength) = Body(OneBinaryFloat(4), new byte[4]);

        var e = InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength - 1, "m", "1", Limit, null));
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void Read_BinaryDataSizePastTheEnd_ThrowsInvalidArgument()
    {
        var (body, headerLength) = Body(OneBinaryFloat(8), new byte[4]);

        var e = InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void Read_SecondInputsBinaryDataSizePastTheEnd_ThrowsInvalidArgument()
    {
        var json = """
            {"inputs": [
              {"name": "a", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": 4}},
              {"name": "b", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": 4}}
            ]}
            """;
        var (body, headerLength) = Body(json, new byte[6]);

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
    }

    [Fact]
    public void Read_BytesLeftOver_ThrowsInvalidArgument()
    {
        var (body, headerLength) = Body(OneBinaryFloat(4), new byte[4], new byte[3]);

        var e = InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
        Assert.Contains("3 bytes", e.Message);
    }

    [Fact]
    public void Read_BinaryAfterJsonWithoutHeaderLength_ThrowsInvalidArgument()
    {
        var (body, _) = Body(OneBinaryFloat(4), new byte[4]);

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, null, "m", "1", Limit, null));
    }

    [Fact]
    public void Read_InputWithDataAndBinaryDataSize_ThrowsInvalidArgument()
    {
        var json = """{"inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "data": [1], "parameters": {"binary_data_size": 4}}]}""";
        var (body, headerLength) = Body(json, new byte[4]);

        var e = InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
        Assert.Contains("both", e.Message);
    }

    [Fact]
    public void Read_BinaryDataSizeNotMatchingShape_ThrowsInvalidArgument()
    {
        var (body, headerLength) = Body(
            """{"inputs": [{"name": "a", "datatype": "FP32", "shape": [3], "parameters": {"binary_data_size": 8}}]}""",
            new byte[8]);

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
    }

    [Fact]
    public void Read_BinaryBytesWithLyingLength_ThrowsInvalidArgument()
    {
        byte[] raw = [9, 0, 0, 0, (byte)'a'];
        var (body, headerLength) = Body(
            """{"inputs": [{"name": "s", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": 5}}]}""",
            raw);

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"4\"")]
    [InlineData("2147483648")]
    public void Read_BinaryDataSizeNotANonNegativeInt_ThrowsInvalidArgument(string size)
    {
        var json = $$$"""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": {{{size}}}}}]}""";
        var (body, headerLength) = Body(json, new byte[4]);

        var e = InferenceAssert.Invalid(() => RestInferRequestReader.Read(body, headerLength, "m", "1", Limit, null));
        Assert.Contains("binary_data_size", e.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20_000)]
    public void Read_InputNameRepeated_ThrowsInvalidArgument_HoweverManyInputs(int count)
    {
        var inputs = Enumerable.Range(0, count).Select(i => $$"""{"name": "x{{i}}", "datatype": "FP32", "shape": [1], "data": [1]}""");
        var json = $$"""{"inputs": [{{string.Join(", ", inputs)}}, {"name": "x1", "datatype": "FP32", "shape": [1], "data": [2]}]}""";

        var e = InferenceAssert.Invalid(() => Read(json));

        Assert.Equal("input 'x1' appears more than once", e.Message);
    }

    [Fact]
    public void Read_ManyInputs_AllDistinct_ReadInOrder()
    {
        var inputs = Enumerable.Range(0, 20_000).Select(i => $$"""{"name": "x{{i}}", "datatype": "FP32", "shape": [1], "data": [{{i}}]}""");

        using var request = Read($$"""{"inputs": [{{string.Join(", ", inputs)}}]}""");

        Assert.Equal(20_000, request.Inputs.Count);
        Assert.Equal(("x19999", 19999f), (request.Inputs[^1].Name, request.Inputs[^1].As<float>()[0]));
    }

    [Theory]
    [InlineData("{\"inputs\": [")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{\"inputs\": []} trailing")]
    public void Read_MalformedJson_ThrowsInvalidArgument(string json)
    {
        var e = InferenceAssert.Invalid(() => Read(json));

        Assert.Contains("malformed JSON", e.Message);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"inputs\": {}}")]
    [InlineData("{\"inputs\": [1]}")]
    [InlineData("{\"id\": 5, \"inputs\": []}")]
    [InlineData("{\"inputs\": [{\"datatype\": \"FP32\", \"shape\": [1], \"data\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FLOAT\", \"shape\": [1], \"data\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"data\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [1.5], \"data\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [-1], \"data\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [1]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"INT8\", \"shape\": [1], \"data\": [200]}]}")]
    [InlineData("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"INT32\", \"shape\": [1], \"data\": [\"1\"]}]}")]
    [InlineData("{\"inputs\": [], \"outputs\": {}}")]
    [InlineData("{\"inputs\": [], \"outputs\": [{}]}")]
    [InlineData("{\"inputs\": [], \"outputs\": [\"a\"]}")]
    [InlineData("{\"inputs\": [], \"parameters\": []}")]
    public void Read_InvalidRequest_ThrowsInvalidArgument(string json)
    {
        InferenceAssert.Invalid(() => Read(json));
    }

    [Fact]
    public void Read_DuplicateInputName_ThrowsInvalidArgument()
    {
        var json = """
            {"inputs": [
              {"name": "a", "datatype": "FP32", "shape": [1], "data": [1]},
              {"name": "a", "datatype": "FP32", "shape": [1], "data": [2]}
            ]}
            """;

        var e = InferenceAssert.Invalid(() => Read(json));
        Assert.Contains("more than once", e.Message);
    }

    [Fact]
    public void Read_ShapeOverTheLimit_ThrowsResourceExhausted413()
    {
        InferenceAssert.TooLarge(() => Read("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [1099511627776, 1099511627776], "data": [1]}]}"""));
    }

    [Fact]
    public void Read_RequestedOutputs_CarryTheirBinaryChoice()
    {
        var json = """
            {"inputs": [],
             "outputs": [
               {"name": "a", "parameters": {"binary_data": true}},
               {"name": "b", "parameters": {"binary_data": false}},
               {"name": "c", "parameters": {"other": 1}},
               {"name": "d"}
             ]}
            """;

        using var request = Read(json);

        Assert.Equal(
            [new RequestedOutput("a", true), new RequestedOutput("b", false), new RequestedOutput("c", null), new RequestedOutput("d", null)],
            request.Outputs);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"true\"")]
    [InlineData("null")]
    public void Read_BinaryDataNotABoolean_ThrowsInvalidArgument(string value)
    {
        var e = InferenceAssert.Invalid(() => Read($$$"""{"inputs": [], "outputs": [{"name": "a", "parameters": {"binary_data": {{{value}}}}}]}"""));

        Assert.Contains("binary_data", e.Message);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Read_BinaryDataOutputParameter_SetsBinaryOutputByDefault(string value, bool expected)
    {
        using var request = Read($$$"""{"inputs": [], "parameters": {"binary_data_output": {{{value}}}}}""");

        Assert.Equal(expected, request.BinaryOutputByDefault);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"yes\"")]
    [InlineData("null")]
    public void Read_BinaryDataOutputParameter_NotABoolean_Invalid(string value)
    {
        // As the per-output binary_data: a value that is not true or false is a mistake to report, not a false.
        var e = InferenceAssert.Invalid(() => Read($$$"""{"inputs": [], "parameters": {"binary_data_output": {{{value}}}}}"""));

        Assert.Equal($"binary_data_output must be true or false, not {value}", e.Message);
    }

    [Fact]
    public void Read_Success_DisposesTheBodyOwnerWithTheRequest()
    {
        var owner = new DisposalCounter();
        var request = RestInferRequestReader.Read(Utf8("""{"inputs": []}"""), null, "m", "1", Limit, owner);
        Assert.Equal(0, owner.Count);

        request.Dispose();

        Assert.Equal(1, owner.Count);
    }

    [Fact]
    public void Read_InvalidInput_DisposesTheBodyOwnerOnce()
    {
        var owner = new DisposalCounter();

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(Utf8("""{"inputs": [{"name": "a"}]}"""), null, "m", "1", Limit, owner));

        Assert.Equal(1, owner.Count);
    }

    [Theory]
    [InlineData("{\"inputs\": [", null)]
    [InlineData("[]", null)]
    [InlineData("{\"inputs\": []}", 1000)]
    public void Read_FailureBeforeInputs_DisposesTheBodyOwnerOnce(string json, int? headerLength)
    {
        var owner = new DisposalCounter();

        InferenceAssert.Invalid(() => RestInferRequestReader.Read(Utf8(json), headerLength, "m", "1", Limit, owner));

        Assert.Equal(1, owner.Count);
    }

    [Theory]
    [InlineData("""{"id": "\ud800", "inputs": []}""")]
    [InlineData("""{"inputs": [{"name": "\udc00", "datatype": "FP32", "shape": [1], "data": [1]}]}""")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32\ud800", "shape": [1], "data": [1]}]}""")]
    [InlineData("""{"inputs": [{"name": "s", "datatype": "BYTES", "shape": [1], "data": ["\ud800"]}]}""")]
    [InlineData("""{"inputs": [], "parameters": {"tag": "\ud800"}}""")]
    [InlineData("""{"inputs": [], "outputs": [{"name": "\ud800"}]}""")]
    public void Read_StringWithLoneSurrogateEscape_ThrowsInvalidArgument(string json)
    {
        InferenceAssert.Invalid(() => Read(json));
    }

    [Theory]
    [InlineData("""{"classification": 3}""", 3)]
    [InlineData("""{"classification": 0}""", 0)]
    [InlineData("""{"binary_data": true, "classification": 1}""", 1)]
    [InlineData("""{}""", 0)]
    public void Read_OutputClassification_TheClassCount(string parameters, int expected)
    {
        using var request = Read($$"""{"inputs": [{"name": "f", "datatype": "FP32", "shape": [1], "data": [1]}], "outputs": [{"name": "p", "parameters": {{parameters}}}]}""");

        Assert.Equal(expected, Assert.Single(request.Outputs).Classification);
    }

    [Theory]
    [InlineData("-1", "must be a whole number from 0 to")]
    [InlineData("2.5", "must be a whole number of classes, not 2.5")]
    [InlineData("\"3\"", "must be a whole number of classes, not \"3\"")]
    [InlineData("true", "must be a whole number of classes")]
    [InlineData("99999999999", "must be a whole number from 0 to")]
    public void Read_OutputClassificationNotACount_Refused(string value, string message)
    {
        var e = Assert.Throws<InferenceException>(() => Read($$$"""{"inputs": [{"name": "f", "datatype": "FP32", "shape": [1], "data": [1]}], "outputs": [{"name": "p", "parameters": {"classification": {{{value}}}}}]}"""));

        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        Assert.Contains("output 'p'", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static InferenceRequest Read(string json) =>
        RestInferRequestReader.Read(Utf8(json), null, "m", "1", Limit, null);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string OneBinaryFloat(int size) =>
        $$$"""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": {{{size}}}}}]}""";

    // The binary extension body: the JSON header, then the chunks back to back.
    private static (byte[] Body, int HeaderLength) Body(string json, params byte[][] chunks)
    {
        var header = Utf8(json);
        byte[] body = [.. header, .. chunks.SelectMany(c => c)];
        return (body, header.Length);
    }
}
