namespace Serving.Worker.Tests.TestSupport;

/// <summary>Which ONNX Runtime package the build uses (-p:OnnxRuntimeGpu=true defines ONNXRUNTIME_GPU).</summary>
internal static class BuildFlavor
{
#if ONNXRUNTIME_GPU
    /// <summary>Skip reason for tests that expect a CPU-only ONNX Runtime.</summary>
    public const string? SkipUnlessCpuOnly = "GPU build: the CUDA provider is compiled in, so CUDA requests don't fail";
#else
    /// <summary>Null (run the test): this build's ONNX Runtime has no CUDA provider.</summary>
    public const string? SkipUnlessCpuOnly = null;
#endif
}
