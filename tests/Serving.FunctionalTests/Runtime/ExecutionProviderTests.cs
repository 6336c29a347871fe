using Microsoft.Extensions.Options;
using Serving.Testing;

namespace Serving.FunctionalTests.Runtime;

/// <summary>The CUDA switch: <c>cuda</c> fails the start on a CPU build with a how-to; <c>auto</c> and <c>cpu</c> serve on CPU.</summary>
public sealed class ExecutionProviderTests
{
    [Fact]
    public async Task Start_CudaOnCpuBuild_FailsWithHowToGetGpuBuild()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Runtime:ExecutionProvider"] = "cuda" }));

        Assert.Contains("-p:OnnxRuntimeGpu=true", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("cpu")]
    public async Task Start_AutoOrCpu_ServesOnCpu(string provider)
    {
        await using var server = await WorkerServer.StartAsync(
            RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Runtime:ExecutionProvider"] = provider });
        var repository = server.Service<Serving.Worker.Models.ModelRepository>();

        var version = repository.Table.Models["tabular"].Versions[1];
        Assert.Equal("cpu", version.Runner!.Provider);
    }

    [Fact]
    public async Task Start_UnknownProvider_FailsNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Runtime:ExecutionProvider"] = "tpu" }));

        Assert.Contains("Serving:Runtime:ExecutionProvider", error.Message, StringComparison.Ordinal);
    }
}
