namespace Serving.Worker.Configuration;

/// <summary>Process-wide ONNX Runtime defaults (section <c>Serving:Runtime</c>); <c>model.yaml</c> may override per model.</summary>
public sealed class RuntimeOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Runtime";

    /// <summary><c>auto</c> (CUDA when present, else CPU with one log line), <c>cpu</c>, or <c>cuda</c> (fails the start without a CUDA build).</summary>
    public string ExecutionProvider { get; set; } = "auto";
}
