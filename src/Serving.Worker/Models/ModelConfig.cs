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

    /// <summary>Dynamic batching settings; batching applies when max_batch_size &gt; 0.</summary>
    public DynamicBatchingConfig? DynamicBatching { get; set; }

    /// <summary>Input columns filled from the feature store for callers that send entity ids.</summary>
    public FeaturesConfig? Features { get; set; }
}

/// <summary>
/// The second form of call: the caller sends <see cref="EntityInput"/> (one id per row) and the
/// worker fills <see cref="TargetInput"/>'s columns from the store (or from request inputs named
/// like a field: request-time columns).
/// </summary>
internal sealed class FeaturesConfig
{
    /// <summary>The input carrying entity ids (INT64 or BYTES, shape [-1] or [-1, 1]).</summary>
    public string? EntityInput { get; set; }

    /// <summary>The model input whose columns are the fields, in order.</summary>
    public string? TargetInput { get; set; }

    /// <summary>Redis key of an entity's hash; <c>{id}</c> is replaced by the entity id.</summary>
    public string? KeyPattern { get; set; }

    /// <summary>
    /// How an entity is stored: <c>hash</c> (a Redis hash, one field per feature, read with HMGET) or <c>packed</c>
    /// (one string of <c>field=value</c> lines, read with MGET: far less Redis work per entity).
    /// </summary>
    public string Layout { get; set; } = Features.FeatureLayouts.Hash;

    /// <summary>The ordered fields (columns of the target input).</summary>
    public List<string>? Fields { get; set; }

    /// <summary>A file next to model.yaml listing the fields, one per line (instead of <see cref="Fields"/>).</summary>
    public string? FieldsFile { get; set; }

    /// <summary>The default of every field.</summary>
    public double Default { get; set; }

    /// <summary>Per-field defaults, overriding <see cref="Default"/>.</summary>
    public Dictionary<string, double>? Defaults { get; set; }

    /// <summary><c>defaults</c> (fill and flag) or <c>error</c> (404 / NOT_FOUND) when an entity is not in the store.</summary>
    public string OnMissing { get; set; } = "defaults";

    /// <summary><c>fail_open</c> (defaults, flagged) or <c>fail_closed</c> (503 / UNAVAILABLE) when the store can't be reached.</summary>
    public string OnUnavailable { get; set; } = "fail_open";

    /// <summary>How long a fetched entity is served from the near cache; 0 turns the cache off.</summary>
    public int NearCacheTtlMs { get; set; } = 1000;

    /// <summary>Most entities the near cache holds.</summary>
    public int NearCacheSize { get; set; } = 10_000;

    /// <summary>The in-memory store's data when no Redis is configured: a CSV next to model.yaml.</summary>
    public string? Csv { get; set; }
}

/// <summary>The dynamic batcher's settings in <c>model.yaml</c> (Triton's names and meanings).</summary>
internal sealed class DynamicBatchingConfig
{
    /// <summary>False serves the model unbatched even though it has a batch dimension.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a partial batch may wait for more requests, from its oldest request's arrival.</summary>
    public long MaxQueueDelayUs { get; set; }

    /// <summary>
    /// With a queue delay: a partial batch also goes once no request has arrived for this long, and a wait that
    /// gained no request lets the next batches go without waiting (0 = off: a partial batch waits out the delay).
    /// </summary>
    public long ArrivalGapUs { get; set; }

    /// <summary>Batch sizes to send as soon as they can be formed (Triton: use sparingly).</summary>
    public List<int>? PreferredBatchSizes { get; set; }

    /// <summary>Requests that may wait; past it new requests are refused at once (429 / RESOURCE_EXHAUSTED).</summary>
    public int MaxQueueSize { get; set; } = 1024;

    /// <summary>How many batches may run at once.</summary>
    public int Instances { get; set; } = 1;

    /// <summary>A queued request's deadline when the caller gives none; 0 = none.</summary>
    public long DefaultTimeoutMs { get; set; }
}

/// <summary>One input or output in <c>model.yaml</c>.</summary>
internal sealed class TensorConfig
{
    public string? Name { get; set; }

    public string? Datatype { get; set; }

    public List<long>? Shape { get; set; }

    /// <summary>
    /// Outputs only: a file next to model.yaml with one class label per line (line i names class i), which the
    /// classification extension appends to each class (<c>value:index:label</c>), as Triton's <c>label_filename</c>.
    /// </summary>
    public string? LabelsFile { get; set; }

    /// <summary>The labels read from <see cref="LabelsFile"/> when the config is loaded.</summary>
    [YamlDotNet.Serialization.YamlIgnore]
    [System.Text.Json.Serialization.JsonIgnore]
    public string[]? Labels { get; set; }
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
