using Microsoft.ML.OnnxRuntime;
using Serving.Protocol.Tensors;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Runtime;

public sealed class SignatureBuilderTests
{
    private static readonly string FixedModel = Path.Combine(RepoPaths.TestModels, "fixed", "1", "model.onnx");
    private static readonly string TabularModel = Path.Combine(RepoPaths.Models, "tabular", "1", "model.onnx");
    private static readonly string IdentityModel = Path.Combine(RepoPaths.TestModels, "identity", "1", "model.onnx");

    [Fact]
    public void Build_FixedConfig_UsesConfiguredSignature()
    {
        var signature = Build(FixedModel, FixedConfig());

        var input = Assert.Single(signature.Inputs);
        Assert.Equal(("x", DataType.FP32), (input.Name, input.DataType));
        Assert.Equal([4L], input.Shape);
        Assert.Equal(["y"], signature.OutputNames);
        Assert.Equal(0, signature.MaxBatchSize);
    }

    [Fact]
    public void Build_TabularRepositoryConfig_Matches()
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml"));

        var signature = Build(TabularModel, config);

        Assert.Equal([-1L, 30L], signature.Inputs[0].Shape);
        Assert.Equal([-1L, 2L], signature.Outputs[0].Shape);
        Assert.Equal(64, signature.MaxBatchSize);
    }

    [Fact]
    public void Build_ConfigWithoutTensors_TakesSignatureFromGraph()
    {
        var signature = Build(TabularModel, new ModelConfig { MaxBatchSize = 16 });

        var input = Assert.Single(signature.Inputs);
        Assert.Equal(("input", DataType.FP32), (input.Name, input.DataType));
        Assert.Equal([-1L, 30L], input.Shape);
        var output = Assert.Single(signature.Outputs);
        Assert.Equal(("probabilities", DataType.FP32), (output.Name, output.DataType));
        Assert.Equal([-1L, 2L], output.Shape);
    }

    [Fact]
    public void Build_FixedGraphWithoutTensorsInConfig_TakesFixedShape()
    {
        var signature = Build(FixedModel, new ModelConfig());

        Assert.Equal([4L], Assert.Single(signature.Inputs).Shape);
        Assert.Equal([4L], Assert.Single(signature.Outputs).Shape);
    }

    [Fact]
    public void Build_DatatypeMismatch_NamesField()
    {
        var config = FixedConfig(input: Tensor("x", "FP64", 4));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("model 'm' version 1", e.Message);
        Assert.Contains("inputs[0] 'x'", e.Message);
        Assert.Contains("FP64 in model.yaml but FP32", e.Message);
    }

    [Fact]
    public void Build_OutputDatatypeMismatch_NamesField()
    {
        var config = FixedConfig(output: Tensor("y", "INT32", 4));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("outputs[0] 'y'", e.Message);
        Assert.Contains("INT32", e.Message);
    }

    [Fact]
    public void Build_RankMismatch_NamesField()
    {
        var config = FixedConfig(input: Tensor("x", "FP32", 1, 4));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("inputs[0] 'x'", e.Message);
        Assert.Contains("[1, 4]", e.Message);
        Assert.Contains("rank 1", e.Message);
    }

    [Fact]
    public void Build_DimMismatch_NamesField()
    {
        var config = FixedConfig(input: Tensor("x", "FP32", 5));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("inputs[0] 'x' dimension 0 is 5 in model.yaml but 4", e.Message);
    }

    [Fact]
    public void Build_VariableDimWhereGraphIsFixed_NamesField()
    {
        var config = FixedConfig(output: Tensor("y", "FP32", -1));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("outputs[0] 'y' dimension 0 is -1", e.Message);
    }

    [Fact]
    public void Build_FixedDimWhereGraphIsVariable_KeepsConfiguredDim()
    {
        var config = new ModelConfig { Inputs = [Tensor("input", "FP32", 1, 30)] };

        var signature = Build(TabularModel, config);

        Assert.Equal([1L, 30L], signature.Inputs[0].Shape);
    }

    [Fact]
    public void Build_InputNotInGraph_NamesInputAndGraphInputs()
    {
        var config = FixedConfig(input: Tensor("wrong_name", "FP32", 4));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("inputs[0] 'wrong_name'", e.Message);
        Assert.Contains("(inputs: x)", e.Message);
    }

    [Fact]
    public void Build_OutputNotInGraph_NamesOutput()
    {
        var config = FixedConfig(output: Tensor("z", "FP32", 4));

        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, config));

        Assert.Contains("outputs[0] 'z'", e.Message);
    }

    [Fact]
    public void Build_ConfigMissingGraphInput_NamesMissingInput()
    {
        var config = new ModelConfig
        {
            Inputs = [Tensor("in_fp32", "FP32", -1, -1)],
            Outputs = [Tensor("out_fp32", "FP32", -1, -1)],
        };

        var e = Assert.Throws<ModelConfigException>(() => Build(IdentityModel, config));

        Assert.Contains("model.yaml lists 1 inputs but the ONNX graph needs 13", e.Message);
        Assert.Contains("in_bytes", e.Message);
    }

    [Fact]
    public void Build_ConfigListsSomeOutputs_ServesOnlyThose()
    {
        var signature = Build(IdentityModel, new ModelConfig { Outputs = [Tensor("out_fp64", "FP64", -1, -1)] });

        Assert.Equal(13, signature.Inputs.Length);
        Assert.Equal(["out_fp64"], signature.OutputNames);
    }

    [Fact]
    public void Build_BatchingOnGraphWithoutBatchDim_NamesMaxBatchSize()
    {
        var e = Assert.Throws<ModelConfigException>(() => Build(FixedModel, new ModelConfig { MaxBatchSize = 4 }));

        Assert.Contains("max_batch_size is 4", e.Message);
        Assert.Contains("'x'", e.Message);
    }

    private static ModelSignature Build(string modelPath, ModelConfig config)
    {
        using var session = new InferenceSession(modelPath);
        return SignatureBuilder.Build("m", 1, config, session);
    }

    private static ModelConfig FixedConfig(TensorConfig? input = null, TensorConfig? output = null) => new()
    {
        Inputs = [input ?? Tensor("x", "FP32", 4)],
        Outputs = [output ?? Tensor("y", "FP32", 4)],
    };

    private static TensorConfig Tensor(string name, string datatype, params long[] shape) =>
        new() { Name = name, Datatype = datatype, Shape = [.. shape] };
}
