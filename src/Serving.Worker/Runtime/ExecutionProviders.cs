using Microsoft.ML.OnnxRuntime;

namespace Serving.Worker.Runtime;

/// <summary>What this ONNX Runtime build offers, and the message for a CUDA request it can't meet.</summary>
internal static class ExecutionProviders
{
    public const string CudaProvider = "CUDAExecutionProvider";

    public const string CudaMissingMessage =
        "execution provider 'cuda' was asked for, but this ONNX Runtime build has no CUDA provider. " +
        "Build the GPU variant with 'dotnet build -p:OnnxRuntimeGpu=true' (needs the Microsoft.ML.OnnxRuntime.Gpu package, " +
        "CUDA 12 and cuDNN 9 on the machine), or set execution_provider to 'auto' or 'cpu'.";

    private static readonly Lazy<string[]> Available = new(() => OrtEnv.Instance().GetAvailableProviders());

    /// <summary>The providers this build of ONNX Runtime reports.</summary>
    public static IReadOnlyList<string> AvailableProviders => Available.Value;

    /// <summary>True when the CUDA provider is compiled into this ONNX Runtime.</summary>
    public static bool CudaAvailable => Array.IndexOf(Available.Value, CudaProvider) >= 0;

    public static bool TryParse(string? text, out ExecutionProviderKind kind)
    {
        kind = text switch
        {
            null or "" or "auto" => ExecutionProviderKind.Auto,
            "cpu" => ExecutionProviderKind.Cpu,
            "cuda" => ExecutionProviderKind.Cuda,
            _ => (ExecutionProviderKind)(-1),
        };
        return Enum.IsDefined(kind);
    }
}
