using System.ComponentModel.DataAnnotations;

namespace Serving.Worker.Configuration;

/// <summary>The worker role's settings (section <c>Serving:Worker</c>).</summary>
public sealed class WorkerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Worker";

    /// <summary>The model repository folder (<c>&lt;model&gt;/model.yaml</c> + <c>&lt;model&gt;/&lt;version&gt;/model.onnx</c>).</summary>
    [Required]
    public string ModelRepository { get; set; } = "models";

    /// <summary>How often the repository folder is scanned for added, changed or removed versions; zero turns polling off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RepositoryPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many models a sync of the repository loads at once (Triton's <c>--model-load-thread-count</c>, whose default
    /// this is): one model's slow load doesn't hold back the others'. The versions of one model load one after another.
    /// </summary>
    [Range(1, 64)]
    public int ModelLoadThreads { get; set; } = 4;

    /// <summary>
    /// How long a version's load (session, checks, warm-up) may take before the version is UNAVAILABLE saying so and the
    /// repository's sync goes on without it: a load that never ends (a file system that stopped answering) held the sync,
    /// and every later poll, for good. The load runs on: if it ends READY while the version is still listed from the same
    /// files, it is served then; else what it made is disposed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ModelLoadTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The address the worker's listeners bind to.</summary>
    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>REST (HTTP/1.1) port; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int RestPort { get; set; } = 8080;

    /// <summary>gRPC (HTTP/2 cleartext) port; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; } = 8081;

    /// <summary>Prometheus metrics port; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int MetricsPort { get; set; } = 8082;

    /// <summary>
    /// The most connections each listener holds at once; past it new ones are accepted and closed at once. 0 (the default)
    /// derives it from the process's open-file limit less a reserve (a quarter of it, or twice the descriptors open at
    /// start plus 256, whichever is larger), shared by the listeners, so clients cannot exhaust the descriptors the
    /// process needs.
    /// </summary>
    [Range(0, int.MaxValue)]
    public long MaxConnections { get; set; }

    /// <summary>The largest request body or gRPC message accepted (413 / RESOURCE_EXHAUSTED past it).</summary>
    [Range(1024, 2L * 1024 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The memory infer requests being read and decoded may take at once, estimated from their sizes (16 bytes per byte
    /// of JSON, 4 per byte of binary tensor data or protobuf). Past it a request is refused: 429 / RESOURCE_EXHAUSTED
    /// while others hold the memory, 413 when it would not fit alone. 0 (the default) is half the memory the GC may use:
    /// the container's memory limit when there is one, else the machine's.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long RequestMemoryBytes { get; set; }

    /// <summary>The most elements one input tensor may hold (413 / RESOURCE_EXHAUSTED past it).</summary>
    [Range(1, 1L << 28)]
    public long MaxElementsPerTensor { get; set; } = 16L * 1024 * 1024;

    /// <summary>False serves every model unbatched (for comparisons); true batches models with max_batch_size &gt; 0.</summary>
    public bool EnableBatching { get; set; } = true;

    /// <summary>Bearer token for the model-control endpoints (load/unload); when empty they answer 403.</summary>
    public string? AdminToken { get; set; }
}
