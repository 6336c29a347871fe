using System.Buffers;
using System.Text;
using System.Text.Json;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Rest;

public sealed class RestInferResponseWriterTests
{
    [Fact]
    public void Write_NoBinaryAsked_ReturnsNullAndWritesJsonOnly()
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "f"), TensorSamples.Boundary(DataType.Bytes, "s"));
        response.Parameters["count"] = 2L;
        using var request = Request();
        var output = new ArrayBufferWriter<byte>();

        var headerLength = RestInferResponseWriter.Write(output, response, request);

        Assert.Null(headerLength);
        using var document = JsonDocument.Parse(output.WrittenMemory);
        var root = document.RootElement;
        Assert.Equal("digits", root.GetProperty("model_name").GetString());
        Assert.Equal("2", root.GetProperty("model_version").GetString());
        Assert.Equal("req-9", root.GetProperty("id").GetString());
        Assert.Equal(2, root.GetProperty("parameters").GetProperty("count").GetInt64());
        var outputs = root.GetProperty("outputs");
        Assert.Equal(2, outputs.GetArrayLength());
        AssertJsonOutput(response.Outputs[0], outputs[0]);
        AssertJsonOutput(response.Outputs[1], outputs[1]);
    }

    [Fact]
    public void Write_EmptyIdAndNoParameters_OmitsBoth()
    {
        using var response = new InferenceResponse("m", "1", "", [TensorSamples.Boundary(DataType.Int8, "x")]);
        using var request = Request();
        var output = new ArrayBufferWriter<byte>();

        RestInferResponseWriter.Write(output, response, request);

        using var document = JsonDocument.Parse(output.WrittenMemory);
        Assert.False(document.RootElement.TryGetProperty("id", out _));
        Assert.False(document.RootElement.TryGetProperty("parameters", out _));
    }

    [Fact]
    public void Write_BinaryDataOutput_ReturnsJsonLengthAndAppendsRawOutputsInOrder()
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "f"), TensorSamples.Boundary(DataType.Bytes, "s"));
        using var request = Request();
        request.BinaryOutputByDefault = true;
        var output = new ArrayBufferWriter<byte>();

        var headerLength = RestInferResponseWriter.Write(output, response, request);

        Assert.NotNull(headerLength);
        var written = output.WrittenMemory;
        using var document = JsonDocument.Parse(written[..headerLength.Value]);
        var outputs = document.RootElement.GetProperty("outputs");
        var rawF = RawContentsCodec.ToArray(response.Outputs[0]);
        var rawS = RawContentsCodec.ToArray(response.Outputs[1]);
        AssertBinaryOutput(response.Outputs[0], outputs[0], rawF.Length);
        AssertBinaryOutput(response.Outputs[1], outputs[1], rawS.Length);
        Assert.Equal([.. rawF, .. rawS], written[headerLength.Value..].ToArray());
    }

    [Fact]
    public void Write_BinaryOutputs_SizesLetAClientSplitTheTail()
    {
        using var response = Response(TensorSamples.Boundary(DataType.Bytes, "s"), TensorSamples.Boundary(DataType.FP16, "h"));
        using var request = Request();
        request.BinaryOutputByDefault = true;
        var output = new ArrayBufferWriter<byte>();

        var headerLength = RestInferResponseWriter.Write(output, response, request)!.Value;

        // What a Triton client does: walk the outputs, taking binary_data_size bytes each.
        using var document = JsonDocument.Parse(output.WrittenMemory[..headerLength]);
        var offset = headerLength;
        foreach (var (json, tensor) in document.RootElement.GetProperty("outputs").EnumerateArray().Zip(response.Outputs))
        {
            var size = json.GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
            var count = Shapes.ElementCount([.. json.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())]);
            DataTypes.TryParse(json.GetProperty("datatype").GetString(), out var type);
            using var decoded = RawContentsCodec.Decode(tensor.Name, type, tensor.Shape, count, output.WrittenMemory.Slice(offset, size));
            TensorAssert.Identical(tensor, decoded);
            offset += size;
        }

        Assert.Equal(output.WrittenCount, offset);
    }

    [Fact]
    public void Write_PerOutputBinaryFalse_OverridesBinaryDataOutput()
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "a"), TensorSamples.Boundary(DataType.Int16, "b"));
        using var request = Request(new RequestedOutput("b", false));
        request.BinaryOutputByDefault = true;
        var output = new ArrayBufferWriter<byte>();

        var headerLength = RestInferResponseWriter.Write(output, response, request)!.Value;

        using var document = JsonDocument.Parse(output.WrittenMemory[..headerLength]);
        var outputs = document.RootElement.GetProperty("outputs");
        var rawA = RawContentsCodec.ToArray(response.Outputs[0]);
        AssertBinaryOutput(response.Outputs[0], outputs[0], rawA.Length);
        AssertJsonOutput(response.Outputs[1], outputs[1]);
        Assert.Equal(rawA, output.WrittenMemory[headerLength..].ToArray());
    }

    [Fact]
    public void Write_PerOutputBinaryTrue_MakesOnlyThatOutputBinary()
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "a"), TensorSamples.Boundary(DataType.UInt64, "b"));
        using var request = Request(new RequestedOutput("a", null), new RequestedOutput("b", true));
        var output = new ArrayBufferWriter<byte>();

        var headerLength = RestInferResponseWriter.Write(output, response, request)!.Value;

        using var document = JsonDocument.Parse(output.WrittenMemory[..headerLength]);
        var outputs = document.RootElement.GetProperty("outputs");
        var rawB = RawContentsCodec.ToArray(response.Outputs[1]);
        AssertJsonOutput(response.Outputs[0], outputs[0]);
        AssertBinaryOutput(response.Outputs[1], outputs[1], rawB.Length);
        Assert.Equal(rawB, output.WrittenMemory[headerLength..].ToArray());
    }

    [Fact]
    public void Write_AllOutputsBinaryFalse_ReturnsNull()
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "a"));
        using var request = Request(new RequestedOutput("a", false));
        request.BinaryOutputByDefault = true;
        var output = new ArrayBufferWriter<byte>();

        Assert.Null(RestInferResponseWriter.Write(output, response, request));
        using var document = JsonDocument.Parse(output.WrittenMemory);
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("outputs")[0].GetProperty("data").ValueKind);
    }

    [Fact]
    public void Write_IntoAWriterAlreadyHoldingBytes_CountsOnlyItsOwnJson()
    {
        using var response = Response(TensorSamples.Boundary(DataType.Int32, "a"));
        using var request = Request(new RequestedOutput("a", true));
        var output = new ArrayBufferWriter<byte>();
        output.Write("prefix"u8);

        var headerLength = RestInferResponseWriter.Write(output, response, request)!.Value;

        var raw = RawContentsCodec.ToArray(response.Outputs[0]);
        Assert.Equal(output.WrittenCount - 6 - raw.Length, headerLength);
        using var document = JsonDocument.Parse(output.WrittenMemory.Slice(6, headerLength));
        Assert.Equal("a", document.RootElement.GetProperty("outputs")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void WriteParameters_EachValueKind_WritesJsonOfThatKind()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            RestInferResponseWriter.WriteParameters(writer, new Dictionary<string, object>
            {
                ["b"] = true, ["l"] = long.MinValue, ["i"] = 7, ["u"] = ulong.MaxValue, ["d"] = 0.5, ["s"] = "x",
            });
        }

        Assert.Equal(
            """{"b":true,"l":-9223372036854775808,"i":7,"u":18446744073709551615,"d":0.5,"s":"x"}""",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static InferenceResponse Response(params InferTensor[] outputs) => new("digits", "2", "req-9", [.. outputs]);

    private static InferenceRequest Request(params RequestedOutput[] outputs)
    {
        var request = new InferenceRequest("digits", "2", "req-9", []);
        request.Outputs.AddRange(outputs);
        return request;
    }

    private static void AssertHeader(InferTensor tensor, JsonElement json)
    {
        Assert.Equal(tensor.Name, json.GetProperty("name").GetString());
        Assert.Equal(tensor.DataType.ToWire(), json.GetProperty("datatype").GetString());
        Assert.Equal(tensor.Shape, json.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
    }

    private static void AssertJsonOutput(InferTensor tensor, JsonElement json)
    {
        AssertHeader(tensor, json);
        Assert.False(json.TryGetProperty("parameters", out _));
        using var decoded = JsonContentsCodec.Decode(tensor.Name, tensor.DataType, tensor.Shape, tensor.ElementCount, json.GetProperty("data"));
        TensorAssert.SameValues(tensor, decoded);
    }

    private static void AssertBinaryOutput(InferTensor tensor, JsonElement json, int rawLength)
    {
        AssertHeader(tensor, json);
        Assert.False(json.TryGetProperty("data", out _));
        Assert.Equal(rawLength, json.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
    }
}
