using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;
using static Serving.Worker.Tests.TestSupport.TestTensors;

namespace Serving.Worker.Tests.Runtime;

/// <summary>
/// After warm-up, outputs whose shape follows from the rows are written by ONNX Runtime straight into pooled buffers.
/// The answers must be those of ORT's own allocation (a runner that was never warmed up), and a model whose outputs
/// don't have the predicted shape must still answer right, found at warm-up or at the first run that shows it.
/// </summary>
public sealed class OnnxModelRunnerInPlaceTests
{
    [Fact]
    public void Tabular_WarmedUp_WritesInPlace_SameBytesAsOrtsOwnOutputs_AtEveryRowCount()
    {
        using var inPlace = Runners.Create(Path.Combine(RepoPaths.Models, "tabular"), 2);
        using var allocating = Runners.Create(Path.Combine(RepoPaths.Models, "tabular"), 2);
        inPlace.WarmUp();
        Assert.True(inPlace.WritesOutputsInPlace);
        Assert.False(allocating.WritesOutputsInPlace);

        var random = new Random(7);
        for (var rows = 1; rows <= 64; rows += 9)
        {
            var values = Enumerable.Range(0, rows * 30).Select(_ => (float)(random.NextDouble() * 40)).ToArray();
            var expected = allocating.Run([Floats("input", [rows, 30], values)], ["probabilities"]);
            var actual = inPlace.Run([Floats("input", [rows, 30], values)], ["probabilities"]);

            Assert.Equal([(long)rows, 2], actual[0].Shape);
            Assert.Equal(rows * 2 * sizeof(float), actual[0].Data.Length);
            Assert.True(expected[0].Data.Span.SequenceEqual(actual[0].Data.Span), $"{rows} rows: the in-place output differs");
            expected[0].Dispose();
            actual[0].Dispose();
        }

        Assert.True(inPlace.WritesOutputsInPlace);
    }

    [Fact]
    public void FixedShapeWithoutBatch_WrittenInPlace()
    {
        using var runner = Runners.TestModel("fixed");
        runner.WarmUp();

        var y = Assert.Single(runner.Run([Floats("x", [4], 1.5f, -2f, 0f, 10f)], ["y"]));

        Assert.True(runner.WritesOutputsInPlace);
        Assert.Equal([4L], y.Shape);
        Assert.Equal([3f, -4f, 0f, 20f], y.As<float>().ToArray());
        y.Dispose();
    }

    [Theory]
    [InlineData("identity_fp32")]   // [-1, -1]: the second dimension is only known after the run
    [InlineData("identity_bytes")]  // strings are never written in place
    public void OutputShapeNotKnownBeforeTheRun_OrtAllocates(string model)
    {
        using var runner = Runners.TestModel(model);

        runner.WarmUp();

        Assert.False(runner.WritesOutputsInPlace);
    }

    [Fact]
    public void OutputBatchNotTheRows_SeenAtWarmUp_OrtAllocates_AnswersRight()
    {
        var logger = new RecordingLogger<OnnxModelRunner>();
        using var runner = Runners.TestModel("first_row", logger);
        runner.WarmUp();
        Assert.False(runner.WritesOutputsInPlace); // at 2 rows (the warm-up's) ORT answered 1
        var warning = Assert.Single(logger.Messages);
        Assert.Contains("Model first_row version 1", warning, StringComparison.Ordinal);
        Assert.Contains("were [1, 3], not [2, 3]", warning, StringComparison.Ordinal);

        var y = Assert.Single(runner.Run([Floats("x", [3, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9)], ["y"]));

        Assert.Equal([1L, 3], y.Shape);
        Assert.Equal([1f, 2f, 3f], y.As<float>().ToArray());
        y.Dispose();
    }

    [Fact]
    public void OutputBatchNotTheRows_NotSeenAtWarmUp_FirstRunThatShowsIt_AnswersRight_ThenOrtAllocates()
    {
        var logger = new RecordingLogger<OnnxModelRunner>();
        using var runner = Runners.TestModel("first_two_rows", logger);
        runner.WarmUp();
        Assert.True(runner.WritesOutputsInPlace); // at 2 rows (the warm-up's) the first two rows are all of them
        Assert.Empty(logger.Messages);

        var one = Assert.Single(runner.Run([Floats("x", [1, 3], 1, 2, 3)], ["y"]));
        Assert.Equal([1L, 3], one.Shape);
        Assert.True(runner.WritesOutputsInPlace);

        var three = Assert.Single(runner.Run([Floats("x", [3, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9)], ["y"]));

        Assert.Equal([2L, 3], three.Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], three.As<float>().ToArray());
        Assert.False(runner.WritesOutputsInPlace);
        Assert.Contains("were [2, 3], not [3, 3]", Assert.Single(logger.Messages), StringComparison.Ordinal);
        var again = Assert.Single(runner.Run([Floats("x", [3, 3], 9, 8, 7, 6, 5, 4, 3, 2, 1)], ["y"]));
        Assert.Equal([9f, 8f, 7f, 6f, 5f, 4f], again.As<float>().ToArray());
        Assert.Single(logger.Messages); // said once
        one.Dispose();
        three.Dispose();
        again.Dispose();
    }

    [Fact]
    public void InputTheGraphRejects_StillInvalidArgument_AndOutputsStayInPlace()
    {
        using var runner = Runners.TestModel("fixed");
        runner.WarmUp();

        var e = Assert.Throws<InferenceException>(() => runner.Run([Floats("x", [5], 1, 2, 3, 4, 5)], ["y"]));

        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        Assert.True(runner.WritesOutputsInPlace, "a bad input is not the model's outputs being mispredicted");
    }

    [Fact]
    public void ModelFailingAtRunTime_StillInternal_AndOutputsStayInPlace()
    {
        // canary v2 warms up on zeros and fails for any non-zero input.
        using var runner = Runners.Create(Path.Combine(RepoPaths.TestModels, "canary"), 2);
        runner.WarmUp();
        Assert.True(runner.WritesOutputsInPlace);

        var e = Assert.Throws<InferenceException>(() => runner.Run([Floats("x", [4], 1, 2, 3, 4)], ["y"]));

        Assert.Equal(InferenceErrorCode.Internal, e.Code);
        Assert.True(runner.WritesOutputsInPlace);
    }

    [Fact]
    public void EmptyBatch_LeftToOrt_AndOutputsStayInPlace()
    {
        using var runner = Runners.Create(Path.Combine(RepoPaths.Models, "tabular"), 2);
        runner.WarmUp();

        var outputs = runner.Run([Floats("input", [0, 30])], ["probabilities"]);

        Assert.Equal([0L, 2], Assert.Single(outputs).Shape);
        Assert.True(runner.WritesOutputsInPlace);
        outputs[0].Dispose();
    }
}
