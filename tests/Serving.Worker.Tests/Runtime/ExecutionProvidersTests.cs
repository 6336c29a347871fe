using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Runtime;

public sealed class ExecutionProvidersTests
{
    [Theory]
    [InlineData(null, nameof(ExecutionProviderKind.Auto))]
    [InlineData("", nameof(ExecutionProviderKind.Auto))]
    [InlineData("auto", nameof(ExecutionProviderKind.Auto))]
    [InlineData("cpu", nameof(ExecutionProviderKind.Cpu))]
    [InlineData("cuda", nameof(ExecutionProviderKind.Cuda))]
    public void TryParse_KnownProvider_Parses(string? text, string expected)
    {
        Assert.True(ExecutionProviders.TryParse(text, out var kind));
        Assert.Equal(Enum.Parse<ExecutionProviderKind>(expected), kind);
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("CUDA")]
    [InlineData("Cpu")]
    [InlineData(" cpu")]
    [InlineData("CUDAExecutionProvider")]
    public void TryParse_UnknownProvider_False(string text)
    {
        Assert.False(ExecutionProviders.TryParse(text, out _));
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public void CudaAvailable_CpuOnlyBuild_False()
    {
        // This build references Microsoft.ML.OnnxRuntime (CPU); a -p:OnnxRuntimeGpu=true build would flip this to true.
        Assert.False(ExecutionProviders.CudaAvailable);
        Assert.DoesNotContain(ExecutionProviders.CudaProvider, ExecutionProviders.AvailableProviders);
    }

    [Fact]
    public void AvailableProviders_AnyBuild_IncludesCpu()
    {
        Assert.Contains("CPUExecutionProvider", ExecutionProviders.AvailableProviders);
    }

    [Fact]
    public void CudaMissingMessage_SaysHowToGetCuda()
    {
        Assert.Contains("-p:OnnxRuntimeGpu=true", ExecutionProviders.CudaMissingMessage);
        Assert.Contains("'auto' or 'cpu'", ExecutionProviders.CudaMissingMessage);
    }
}
