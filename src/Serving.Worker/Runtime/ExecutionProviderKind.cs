namespace Serving.Worker.Runtime;

/// <summary>Which ONNX Runtime execution provider a session uses.</summary>
internal enum ExecutionProviderKind
{
    /// <summary>CUDA when the build and the machine have it, else CPU.</summary>
    Auto,
    /// <summary>CPU only.</summary>
    Cpu,
    /// <summary>CUDA, or fail.</summary>
    Cuda,
}
