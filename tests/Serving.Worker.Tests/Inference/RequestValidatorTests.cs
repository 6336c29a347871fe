using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Worker.Inference;
using Serving.Worker.Runtime;

namespace Serving.Worker.Tests.Inference;

public sealed class RequestValidatorTests
{
    // a: FP32 [-1, 4], b: INT64 [-1]; outputs p, q; batches up to 8.
    private static readonly ModelSignature Batched = new(
        [new TensorSignature("a", DataType.FP32, [-1, 4]), new TensorSignature("b", DataType.Int64, [-1])],
        [new TensorSignature("p", DataType.FP32, [-1, 2]), new TensorSignature("q", DataType.Int64, [-1])],
        maxBatchSize: 8);

    // x: FP32 [3, -1], s: BYTES [2]; no batch dimension.
    private static readonly ModelSignature Unbatched = new(
        [new TensorSignature("x", DataType.FP32, [3, -1]), new TensorSignature("s", DataType.Bytes, [2])],
        [new TensorSignature("y", DataType.FP32, [3, -1])],
        maxBatchSize: 0);

    [Fact]
    public void OrderInputs_InputsInAnyOrder_ReturnsSignatureOrder()
    {
        var a = Fp32("a", 2, 4);
        var b = Int64("b", 2);

        var ordered = RequestValidator.OrderInputs("m", Batched, Request(b, a));

        Assert.Same(a, ordered[0]);
        Assert.Same(b, ordered[1]);
    }

    [Fact]
    public void OrderInputs_BatchEqualToMax_Accepted()
    {
        var ordered = RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 8, 4), Int64("b", 8)));

        Assert.Equal(2, ordered.Length);
    }

    [Fact]
    public void OrderInputs_UnbatchedVariableDim_Accepted()
    {
        var s = InferTensor.Strings("s", [2], [new byte[] { 1 }, new byte[] { 2 }]);

        var ordered = RequestValidator.OrderInputs("m", Unbatched, Request(Fp32("x", 3, 17), s));

        Assert.Equal(["x", "s"], ordered.Select(t => t.Name));
    }

    [Fact]
    public void OrderInputs_MissingInput_NamesIt()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 1, 4))));

        Assert.Contains("model 'm' needs input 'b'", e.Message);
    }

    [Fact]
    public void OrderInputs_NoInputs_NamesFirstMissing()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request()));

        Assert.Contains("input 'a'", e.Message);
    }

    [Fact]
    public void OrderInputs_UnknownInput_NamesItAndKnownInputs()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 1, 4), Int64("b", 1), Int64("c", 1))));

        Assert.Contains("has no input 'c'", e.Message);
        Assert.Contains("(inputs: a, b)", e.Message);
    }

    [Fact]
    public void OrderInputs_DuplicateInput_Rejected()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 1, 4), Int64("b", 1), Fp32("a", 1, 4))));

        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void OrderInputs_WrongDatatype_NamesExpectedAndSent()
    {
        var wrong = InferTensor.Fixed("b", DataType.Int32, [1], new byte[4]);

        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 1, 4), wrong)));

        Assert.Contains("input 'b' of model 'm' is INT64, but the request sent INT32", e.Message);
    }

    [Fact]
    public void OrderInputs_WrongRank_NamesExpectedShape()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 1, 2, 2), Int64("b", 1))));

        Assert.Contains("input 'a'", e.Message);
        Assert.Contains("[-1, 4] (rank 2)", e.Message);
        Assert.Contains("[1, 2, 2]", e.Message);
    }

    [Fact]
    public void OrderInputs_FixedDimMismatch_NamesBothShapes()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 2, 5), Int64("b", 2))));

        Assert.Contains("input 'a' of model 'm' has shape [-1, 4], but the request sent [2, 5]", e.Message);
    }

    [Fact]
    public void OrderInputs_UnbatchedFixedFirstDimMismatch_Rejected()
    {
        var s = InferTensor.Strings("s", [2], [new byte[] { 1 }, new byte[] { 2 }]);

        var e = Invalid(() => RequestValidator.OrderInputs("m", Unbatched, Request(Fp32("x", 4, 1), s)));

        Assert.Contains("[3, -1]", e.Message);
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(2, 0)]
    public void OrderInputs_ZeroDim_Rejected(long batch, long width)
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", batch, width), Int64("b", batch))));

        Assert.Contains("input 'a' has a zero-sized dimension", e.Message);
    }

    [Fact]
    public void OrderInputs_BatchOverMax_NamesBatchAndLimit()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 9, 4), Int64("b", 9))));

        Assert.Contains("batch size 9", e.Message);
        Assert.Contains("max_batch_size 8", e.Message);
    }

    [Fact]
    public void OrderInputs_InputsDisagreeOnBatch_NamesBothSizes()
    {
        var e = Invalid(() => RequestValidator.OrderInputs("m", Batched, Request(Fp32("a", 2, 4), Int64("b", 3))));

        Assert.Contains("disagree on the batch size (2 and 3)", e.Message);
    }

    [Fact]
    public void OutputNames_NoneRequested_ReturnsAll()
    {
        Assert.Equal(["p", "q"], RequestValidator.OutputNames("m", Batched, Request()));
    }

    [Fact]
    public void OutputNames_Subset_ReturnsInRequestedOrder()
    {
        var request = Request();
        request.Outputs.Add(new RequestedOutput("q", null));
        request.Outputs.Add(new RequestedOutput("p", true));

        Assert.Equal(["q", "p"], RequestValidator.OutputNames("m", Batched, request));
    }

    [Fact]
    public void OutputNames_Unknown_NamesItAndKnownOutputs()
    {
        var request = Request();
        request.Outputs.Add(new RequestedOutput("p", null));
        request.Outputs.Add(new RequestedOutput("z", null));

        var e = Invalid(() => RequestValidator.OutputNames("m", Batched, request));

        Assert.Contains("has no output 'z' (outputs: p, q)", e.Message);
    }

    [Fact]
    public void OutputNames_Duplicate_Rejected()
    {
        var request = Request();
        request.Outputs.Add(new RequestedOutput("q", null));
        request.Outputs.Add(new RequestedOutput("p", null));
        request.Outputs.Add(new RequestedOutput("q", false));

        var e = Invalid(() => RequestValidator.OutputNames("m", Batched, request));

        Assert.Contains("output 'q' is requested more than once", e.Message);
    }

    private static InferenceException Invalid(Action act)
    {
        var e = Assert.Throws<InferenceException>(act);
        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        return e;
    }

    private static InferenceRequest Request(params InferTensor[] inputs) => new("m", "", null, [.. inputs]);

    private static InferTensor Fp32(string name, params long[] shape) =>
        InferTensor.Fixed(name, DataType.FP32, shape, new byte[Shapes.ElementCount(shape) * 4]);

    private static InferTensor Int64(string name, params long[] shape) =>
        InferTensor.Fixed(name, DataType.Int64, shape, new byte[Shapes.ElementCount(shape) * 8]);
}
