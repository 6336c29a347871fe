using Serving.Worker.Configuration;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Configuration;

public sealed class RuntimeOptionsValidatorTests
{
    private readonly RuntimeOptionsValidator _validator = new();

    [Theory]
    [InlineData("auto")]
    [InlineData("cpu")]
    [InlineData("")]
    public void Validate_AutoOrCpu_Succeeds(string provider)
    {
        var result = _validator.Validate(null, new RuntimeOptions { ExecutionProvider = provider });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        Assert.True(_validator.Validate(null, new RuntimeOptions()).Succeeded);
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public void Validate_CudaOnCpuOnlyBuild_FailsWithHowTo()
    {
        var result = _validator.Validate(null, new RuntimeOptions { ExecutionProvider = "cuda" });

        Assert.True(result.Failed);
        Assert.Contains("Serving:Runtime:ExecutionProvider", result.FailureMessage);
        Assert.Contains("-p:OnnxRuntimeGpu=true", result.FailureMessage);
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("CPU")]
    public void Validate_UnknownProvider_FailsNamingKeyAndValue(string provider)
    {
        var result = _validator.Validate(null, new RuntimeOptions { ExecutionProvider = provider });

        Assert.True(result.Failed);
        Assert.Contains("Serving:Runtime:ExecutionProvider", result.FailureMessage);
        Assert.Contains($"'{provider}'", result.FailureMessage);
    }
}
