using Google.Protobuf;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Messages;

public sealed class GrpcInferCodecTests
{
    private const long Limit = 1024;

    public static TheoryData<DataType> AllTypes => TensorSamples.All;

    public static TheoryData<DataType> TypedTypes => TensorSamples.Typed;

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Decode_RawRequest_DecodesEachTypeAndAsksForRawOutput(DataType type)
    {
        using var sample = TensorSamples.Boundary(type, "in");
        var message = OverTheWire(RawRequest(sample));

        using var request = GrpcInferCodec.Decode(message, Limit);

        Assert.True(request.RawOutput);
        TensorAssert.Identical(sample, Assert.Single(request.Inputs));
    }

    [Theory]
    [MemberData(nameof(TypedTypes))]
    public void Decode_TypedRequest_DecodesEachTypeAndAsksForTypedOutput(DataType type)
    {
        using var sample = TensorSamples.Boundary(type, "in");
        var message = OverTheWire(TypedRequest(sample));

        using var request = GrpcInferCodec.Decode(message, Limit);

        Assert.False(request.RawOutput);
        TensorAssert.Identical(sample, Assert.Single(request.Inputs));
    }

    [Fact]
    public void Decode_SeveralRawInputs_PairsEachWithItsRawEntryInOrder()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        using var b = TensorSamples.Boundary(DataType.Bytes, "b");
        using var c = TensorSamples.Boundary(DataType.FP16, "c");

        using var request = GrpcInferCodec.Decode(OverTheWire(RawRequest(a, b, c)), Limit);

        Assert.Equal(["a", "b", "c"], request.Inputs.Select(i => i.Name));
        TensorAssert.Identical(a, request.Inputs[0]);
        TensorAssert.Identical(b, request.Inputs[1]);
        TensorAssert.Identical(c, request.Inputs[2]);
    }

    [Fact]
    public void Decode_Request_CarriesModelIdParametersAndRequestedOutputs()
    {
        using var sample = TensorSamples.Boundary(DataType.Int32, "in");
        var message = TypedRequest(sample);
        message.ModelName = "digits";
        message.ModelVersion = "3";
        message.Id = "req-42";
        message.Parameters["b"] = new InferParameter { BoolParam = true };
        message.Parameters["i"] = new InferParameter { Int64Param = long.MinValue };
        message.Parameters["u"] = new InferParameter { Uint64Param = ulong.MaxValue };
        message.Parameters["d"] = new InferParameter { DoubleParam = 0.25 };
        message.Parameters["s"] = new InferParameter { StringParam = "héllo" };
        message.Parameters["unset"] = new InferParameter();
        message.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" });
        message.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "label" });

        using var request = GrpcInferCodec.Decode(OverTheWire(message), Limit);

        Assert.Equal("digits", request.ModelName);
        Assert.Equal("3", request.ModelVersion);
        Assert.Equal("req-42", request.Id);
        Assert.Equal(true, request.Parameters["b"]);
        Assert.Equal(long.MinValue, request.Parameters["i"]);
        Assert.Equal(ulong.MaxValue, request.Parameters["u"]);
        Assert.Equal(0.25, request.Parameters["d"]);
        Assert.Equal("héllo", request.Parameters["s"]);
        Assert.False(request.Parameters.ContainsKey("unset"));
        Assert.Equal([new RequestedOutput("probabilities", null), new RequestedOutput("label", null)], request.Outputs);
    }

    [Fact]
    public void Decode_InputNameRepeatedAmongManyInputs_ThrowsInvalidArgument()
    {
        var tensors = Enumerable.Range(0, 20_000).Select(i => TensorSamples.Boundary(DataType.FP32, $"x{i}")).Append(TensorSamples.Boundary(DataType.Int32, "x1")).ToArray();
        try
        {
            var e = InferenceAssert.Invalid(() => GrpcInferCodec.Decode(TypedRequest(tensors), Limit));
            Assert.Equal("input 'x1' appears more than once", e.Message);
        }
        finally
        {
            Array.ForEach(tensors, t => t.Dispose());
        }
    }

    [Fact]
    public void Decode_DuplicateInputName_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.Int32, "dup");
        using var b = TensorSamples.Boundary(DataType.FP32, "dup");

        var e = InferenceAssert.Invalid(() => GrpcInferCodec.Decode(TypedRequest(a, b), Limit));
        Assert.Contains("'dup'", e.Message);
    }

    [Fact]
    public void Decode_DuplicateInputNameInRawRequest_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.Int32, "dup");
        using var b = TensorSamples.Boundary(DataType.Int32, "dup");

        InferenceAssert.Invalid(() => GrpcInferCodec.Decode(RawRequest(a, b), Limit));
    }

    [Fact]
    public void Decode_InputWithoutName_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.Int32, "");

        InferenceAssert.Invalid(() => GrpcInferCodec.Decode(TypedRequest(a), Limit));
    }

    [Theory]
    [InlineData("FLOAT32")]
    [InlineData("fp32")]
    [InlineData("")]
    public void Decode_UnknownDatatype_ThrowsInvalidArgument(string datatype)
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "in");
        var message = RawRequest(a);
        message.Inputs[0].Datatype = datatype;

        var e = InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
        Assert.Contains("datatype", e.Message);
    }

    [Fact]
    public void Decode_RawEntriesFewerThanInputs_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        using var b = TensorSamples.Boundary(DataType.FP32, "b");
        var message = RawRequest(a, b);
        message.RawInputContents.RemoveAt(1);

        var e = InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
        Assert.Contains("raw_input_contents", e.Message);
    }

    [Fact]
    public void Decode_RawEntriesMoreThanInputs_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        var message = RawRequest(a);
        message.RawInputContents.Add(ByteString.CopyFrom(1, 2, 3, 4));

        InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
    }

    [Fact]
    public void Decode_ContentsAndRawTogether_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        var message = RawRequest(a);
        message.Inputs[0].Contents = TypedContentsCodec.Encode(a);

        var e = InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
        Assert.Contains("contents", e.Message);
    }

    [Fact]
    public void Decode_RawWithEmptyContentsMessage_Accepted()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        var message = RawRequest(a);
        message.Inputs[0].Contents = new InferTensorContents();

        using var request = GrpcInferCodec.Decode(message, Limit);

        TensorAssert.Identical(a, request.Inputs[0]);
    }

    [Fact]
    public void Decode_RawByteLengthMismatch_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        var message = RawRequest(a);
        message.RawInputContents[0] = ByteString.CopyFrom(new byte[31]);

        InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
    }

    [Fact]
    public void Decode_FP16InTypedContents_ThrowsInvalidArgument()
    {
        var message = new ModelInferRequest { ModelName = "m" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "h", Datatype = "FP16", Contents = new InferTensorContents() };
        input.Shape.Add(1);
        input.Contents.Fp32Contents.Add(1f);
        message.Inputs.Add(input);

        InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
    }

    [Fact]
    public void Decode_NegativeDimension_ThrowsInvalidArgument()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        var message = RawRequest(a);
        message.Inputs[0].Shape[0] = -2;

        InferenceAssert.Invalid(() => GrpcInferCodec.Decode(message, Limit));
    }

    [Fact]
    public void Decode_ShapeOverTheLimit_ThrowsResourceExhausted413()
    {
        using var a = TensorSamples.Boundary(DataType.FP32, "a");
        var message = RawRequest(a);
        message.Inputs[0].Shape.Clear();
        message.Inputs[0].Shape.Add([1L << 40, 1L << 40]);

        InferenceAssert.TooLarge(() => GrpcInferCodec.Decode(message, Limit));
    }

    [Fact]
    public void Encode_RawRequested_WritesRawOutputContentsOnly()
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "a"), TensorSamples.Boundary(DataType.Bytes, "b"));

        var message = GrpcInferCodec.Encode(response, raw: true);

        Assert.Equal(2, message.RawOutputContents.Count);
        Assert.All(message.Outputs, o => Assert.Null(o.Contents));
        Assert.Equal(RawContentsCodec.ToArray(response.Outputs[0]), message.RawOutputContents[0].ToByteArray());
        Assert.Equal(RawContentsCodec.ToArray(response.Outputs[1]), message.RawOutputContents[1].ToByteArray());
    }

    [Fact]
    public void Encode_TypedRequested_WritesContentsOnly()
    {
        using var response = Response(TensorSamples.Boundary(DataType.Int64, "a"), TensorSamples.Boundary(DataType.Bytes, "b"));

        var message = GrpcInferCodec.Encode(response, raw: false);

        Assert.Empty(message.RawOutputContents);
        Assert.Equal([long.MinValue, -1L, 0L, 1L, long.MaxValue], message.Outputs[0].Contents.Int64Contents);
        Assert.Equal(TensorSamples.BoundaryStrings, message.Outputs[1].Contents.BytesContents.Select(b => b.ToStringUtf8()));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Encode_Raw_EachTypeDecodesBackFromRawOutputContents(DataType type)
    {
        using var response = Response(TensorSamples.Boundary(type, "out"));

        var message = OverTheWire(GrpcInferCodec.Encode(response, raw: true));

        var output = Assert.Single(message.Outputs);
        Assert.Equal(type.ToWire(), output.Datatype);
        Assert.Equal(response.Outputs[0].Shape, output.Shape);
        using var decoded = RawContentsCodec.Decode("out", type, [.. output.Shape], response.Outputs[0].ElementCount, message.RawOutputContents[0].Memory);
        TensorAssert.Identical(response.Outputs[0], decoded);
    }

    [Theory]
    [MemberData(nameof(TypedTypes))]
    public void Encode_Typed_EachTypeDecodesBackFromContents(DataType type)
    {
        using var response = Response(TensorSamples.Boundary(type, "out"));

        var message = OverTheWire(GrpcInferCodec.Encode(response, raw: false));

        var output = Assert.Single(message.Outputs);
        Assert.Equal(type.ToWire(), output.Datatype);
        using var decoded = TypedContentsCodec.Decode("out", type, [.. output.Shape], response.Outputs[0].ElementCount, output.Contents);
        TensorAssert.Identical(response.Outputs[0], decoded);
    }

    [Theory]
    [InlineData(DataType.FP16)]
    [InlineData(DataType.BF16)]
    public void Encode_HalfPrecisionOutputForTypedRequest_EncodesEveryOutputRaw(DataType type)
    {
        using var response = Response(TensorSamples.Boundary(DataType.FP32, "a"), TensorSamples.Boundary(type, "h"));

        var message = GrpcInferCodec.Encode(response, raw: false);

        Assert.Equal(2, message.RawOutputContents.Count);
        Assert.All(message.Outputs, o => Assert.Null(o.Contents));
        Assert.Equal(RawContentsCodec.ToArray(response.Outputs[1]), message.RawOutputContents[1].ToByteArray());
    }

    [Fact]
    public void Encode_Response_CarriesModelIdAndParameters()
    {
        using var response = new InferenceResponse("digits", "2", "req-7", []);
        response.Parameters["b"] = false;
        response.Parameters["l"] = long.MaxValue;
        response.Parameters["i"] = -5;
        response.Parameters["u"] = ulong.MaxValue;
        response.Parameters["d"] = double.Epsilon;
        response.Parameters["s"] = "text";
        response.Parameters["o"] = DataType.FP32;

        var message = GrpcInferCodec.Encode(response, raw: false);

        Assert.Equal(("digits", "2", "req-7"), (message.ModelName, message.ModelVersion, message.Id));
        Assert.Equal(new InferParameter { BoolParam = false }, message.Parameters["b"]);
        Assert.Equal(new InferParameter { Int64Param = long.MaxValue }, message.Parameters["l"]);
        Assert.Equal(new InferParameter { Int64Param = -5 }, message.Parameters["i"]);
        Assert.Equal(new InferParameter { Uint64Param = ulong.MaxValue }, message.Parameters["u"]);
        Assert.Equal(new InferParameter { DoubleParam = double.Epsilon }, message.Parameters["d"]);
        Assert.Equal(new InferParameter { StringParam = "text" }, message.Parameters["s"]);
        Assert.Equal(new InferParameter { StringParam = "FP32" }, message.Parameters["o"]);
    }

    [Fact]
    public void Encode_NullId_WritesEmptyId()
    {
        using var response = new InferenceResponse("m", "1", null, []);

        Assert.Equal(string.Empty, GrpcInferCodec.Encode(response, raw: true).Id);
    }

    [Fact]
    public void DecodeThenEncode_RawRequest_AnswersRaw()
    {
        using var input = TensorSamples.Boundary(DataType.FP32, "x");
        using var request = GrpcInferCodec.Decode(RawRequest(input), Limit);
        using var response = Response(TensorSamples.Boundary(DataType.Int64, "y"));

        var message = GrpcInferCodec.Encode(response, request.RawOutput);

        Assert.Single(message.RawOutputContents);
        Assert.Null(message.Outputs[0].Contents);
    }

    private static ModelInferRequest RawRequest(params InferTensor[] inputs)
    {
        var message = new ModelInferRequest { ModelName = "m" };
        foreach (var tensor in inputs)
        {
            message.Inputs.Add(Input(tensor));
            message.RawInputContents.Add(ByteString.CopyFrom(RawContentsCodec.ToArray(tensor)));
        }

        return message;
    }

    [Fact]
    public void Decode_OutputClassification_Int64OrUint64Param_TheClassCount()
    {
        using var sample = TensorSamples.Boundary(DataType.FP32, "in");
        var message = TypedRequest(sample);
        message.Outputs.Add(Output("a", new InferParameter { Int64Param = 3 }));
        message.Outputs.Add(Output("b", new InferParameter { Uint64Param = 2 }));
        message.Outputs.Add(Output("c", null));

        using var request = GrpcInferCodec.Decode(OverTheWire(message), Limit);

        Assert.Equal([3, 2, 0], request.Outputs.Select(o => o.Classification));
    }

    [Theory]
    [InlineData("string")]
    [InlineData("negative")]
    [InlineData("huge")]
    public void Decode_OutputClassificationNotACount_InvalidArgument(string kind)
    {
        using var sample = TensorSamples.Boundary(DataType.FP32, "in");
        var message = TypedRequest(sample);
        message.Outputs.Add(Output("p", kind switch
        {
            "string" => new InferParameter { StringParam = "3" },
            "negative" => new InferParameter { Int64Param = -2 },
            _ => new InferParameter { Uint64Param = ulong.MaxValue },
        }));

        var e = Assert.Throws<InferenceException>(() => GrpcInferCodec.Decode(OverTheWire(message), Limit));

        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        Assert.Contains("output 'p': 'classification'", e.Message, StringComparison.Ordinal);
    }

    private static ModelInferRequest.Types.InferRequestedOutputTensor Output(string name, InferParameter? classification)
    {
        var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = name };
        if (classification is not null)
        {
            output.Parameters["classification"] = classification;
        }

        return output;
    }

    private static ModelInferRequest TypedRequest(params InferTensor[] inputs)
    {
        var message = new ModelInferRequest { ModelName = "m" };
        foreach (var tensor in inputs)
        {
            var input = Input(tensor);
            input.Contents = TypedContentsCodec.Encode(tensor);
            message.Inputs.Add(input);
        }

        return message;
    }

    private static ModelInferRequest.Types.InferInputTensor Input(InferTensor tensor)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToWire() };
        input.Shape.Add(tensor.Shape);
        return input;
    }

    private static InferenceResponse Response(params InferTensor[] outputs) => new("m", "1", "id", [.. outputs]);

    private static T OverTheWire<T>(T message)
        where T : IMessage<T>, new()
    {
        var parsed = new T();
        parsed.MergeFrom(message.ToByteArray());
        return parsed;
    }
}
