using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Runtime;

public sealed class OnnxSessionFactoryTests
{
    private static readonly string FixedModel = Path.Combine(RepoPaths.TestModels, "fixed", "1", "model.onnx");

    [Fact]
    public void Create_Cpu_UsesCpu()
    {
        using var session = Factory("cuda").Create("m", 1, FixedModel, new RuntimeConfig { ExecutionProvider = "cpu" }, out var provider);

        Assert.Equal("cpu", provider);
        Assert.Equal(["x"], session.InputNames);
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public void Create_AutoOnCpuOnlyBuild_FallsBackToCpu()
    {
        using var session = Factory("auto").Create("m", 1, FixedModel, null, out var provider);

        Assert.Equal("cpu", provider);
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public void Create_CudaOnCpuOnlyBuild_ThrowsWithHowTo()
    {
        var e = Assert.Throws<ModelConfigException>(() =>
            Factory("auto").Create("m", 3, FixedModel, new RuntimeConfig { ExecutionProvider = "cuda" }, out _));

        Assert.Contains("model 'm' version 3", e.Message);
        Assert.Contains("-p:OnnxRuntimeGpu=true", e.Message);
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public void Create_ProcessDefaultCuda_AppliesWhenModelSaysNothing()
    {
        Assert.Throws<ModelConfigException>(() => Factory("cuda").Create("m", 1, FixedModel, new RuntimeConfig(), out _));
    }

    [Fact]
    public void Create_UnknownProvider_ThrowsNamingIt()
    {
        var e = Assert.Throws<ModelConfigException>(() =>
            Factory("auto").Create("m", 1, FixedModel, new RuntimeConfig { ExecutionProvider = "tpu" }, out _));

        Assert.Contains("'tpu'", e.Message);
    }

    private static OnnxSessionFactory Factory(string defaultProvider) =>
        new(Options.Create(new RuntimeOptions { ExecutionProvider = defaultProvider }), NullLogger<OnnxSessionFactory>.Instance);
}
