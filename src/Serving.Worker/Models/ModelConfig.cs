namespace Serving.Worker.Models;

/// <summary>A model's <c>model.yaml</c> (or <c>model.json</c>); keys are snake_case in the file.</summary>
internal sealed class ModelConfig
{
    public string? Name { get; set; }

    public string? Platform { get; set; }

    public string? Description { get; set; }

    public VersionPolicyConfig? VersionPolicy { get; set; }

    /// <summary>0: the model has no batch dimension. Otherwise dim 0 of every input and output is the batch.</summary>
    public int MaxBatchSize { get; set; }

    /// <summary>Inputs with full shapes (batch dim included as -1); omitted: taken from the ONNX graph.</summary>
    public List<TensorConfig>? Inputs { get; set; }

    /// <summary>Outputs with full shapes; omitted: taken from the ONNX graph.</summary>
    public List<TensorConfig>? Outputs { get; set; }

    /// <summary>ONNX Runtime session settings.</summary>
    public RuntimeConfig? Runtime { get; set; }
}

/// <summary>One input or output in <c>model.yaml</c>.</summary>
internal sealed class TensorConfig
{
    public string? Name { get; set; }

    public string? Datatype { get; set; }

    public List<long>? Shape { get; set; }
}

/// <summary>Which versions to serve: exactly one of all, latest N, or specific versions.</summary>
internal sealed class VersionPolicyConfig
{
    public Dictionary<string, object>? All { get; set; }

    public LatestPolicyConfig? Latest { get; set; }

    public SpecificPolicyConfig? Specific { get; set; }
}

/// <summary>Serve the newest N versions.</summary>
internal sealed class LatestPolicyConfig
{
    public int NumVersions { get; set; } = 1;
}

/// <summary>Serve exactly these versions.</summary>
internal sealed class SpecificPolicyConfig
{
    public List<long>? Versions { get; set; }
}

/// <summary>ONNX Runtime settings for a model's sessions.</summary>
internal sealed class RuntimeConfig
{
    /// <summary><c>auto</c> (CUDA when the build and machine have it, else CPU), <c>cpu</c> or <c>cuda</c>.</summary>
    public string? ExecutionProvider { get; set; }

    public int DeviceId { get; set; }

    /// <summary>0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; set; }

    public int InterOpThreads { get; set; }

    /// <summary><c>disable</c>, <c>basic</c>, <c>extended</c> or <c>all</c>.</summary>
    public string? GraphOptimizationLevel { get; set; }

    /// <summary>Idle ORT threads spin when true; off by default so several sessions don't burn the cores.</summary>
    public bool AllowSpinning { get; set; }
}
