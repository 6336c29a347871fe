using System.ComponentModel.DataAnnotations;

namespace Serving.Gateway.Configuration;

/// <summary>The gateway role's settings (section <c>Serving:Gateway</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Gateway";

    /// <summary>The address the REST, gRPC and metrics listeners bind to.</summary>
    [Required]
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>REST (HTTP/1.1) port; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int RestPort { get; set; } = 8000;

    /// <summary>gRPC (HTTP/2 cleartext) port; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; } = 8001;

    /// <summary>Prometheus metrics port; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int MetricsPort { get; set; } = 8002;

    /// <summary>Admin API port; 0 picks a free port. The admin API is off while <see cref="AdminToken"/> is empty.</summary>
    [Range(0, 65535)]
    public int AdminPort { get; set; } = 8003;

    /// <summary>The address the admin API binds to (loopback unless configured otherwise).</summary>
    [Required]
    public string AdminBindAddress { get; set; } = "127.0.0.1";

    /// <summary>Bearer token every admin call must carry; empty keeps the admin API off.</summary>
    public string? AdminToken { get; set; }

    /// <summary>The workers requests are forwarded to.</summary>
    public List<WorkerAddressOptions> Workers { get; set; } = [];

    /// <summary>Where the traffic policies are kept when no Redis is configured.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data/gateway";

    /// <summary>StackExchange.Redis connection string; when set, policies live in Redis and replicas share them over pub/sub.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Prefix of the Redis keys and channel the gateway uses.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9:_.-]{1,64}$")]
    public string RedisKeyPrefix { get; set; } = "serving:gateway:";

    /// <summary>How often every policy is re-read from Redis, in case a pub/sub message was lost, and a held automatic rollback is offered to the store again; zero turns both off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PolicyResyncInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each worker is asked for its readiness and its model versions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one discovery probe may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed probes after which a worker gets no more requests.</summary>
    [Range(1, 100)]
    public int UnhealthyAfterFailedProbes { get; set; } = 2;

    /// <summary>How long a worker that failed a forwarded request (connection failure) is left out.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PassiveReactivationPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening a connection to a worker may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a forwarded request may go without progress before the gateway answers DEADLINE_EXCEEDED / 504 itself.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How REST calls reach workers: <see cref="WorkerRestProtocol.Http2"/> over the worker's gRPC (h2c) address,
    /// <see cref="WorkerRestProtocol.Http11"/> over its REST address, or <see cref="WorkerRestProtocol.Auto"/> (default):
    /// HTTP/1.1 for a call that finds nothing in flight to its worker, HTTP/2 for calls that overlap and for bodies of
    /// unknown length (chunked: a worker's early 413 survives only on HTTP/2). HTTP/2 costs less CPU per call under
    /// concurrency; HTTP/1.1 answers a lone call sooner.
    /// </summary>
    public WorkerRestProtocol RestToWorkers { get; set; } = WorkerRestProtocol.Auto;

    /// <summary>
    /// The most connections each listener holds at once; past it new ones are accepted and closed at once. 0 (the default)
    /// derives it from the process's open-file limit less a reserve (a quarter of it, or twice the descriptors open at
    /// start plus 256, whichever is larger), shared by the listeners, so clients cannot exhaust the descriptors the
    /// process needs.
    /// </summary>
    [Range(0, int.MaxValue)]
    public long MaxConnections { get; set; }

    /// <summary>The largest request body accepted (413 past it).</summary>
    [Range(1024, 2L * 1024 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The memory gRPC ModelInfer messages held whole while they are forwarded may take at once (REST bodies and streams
    /// go through without being held). Past it a call is refused: RESOURCE_EXHAUSTED, 413-like when one message is over
    /// it alone, else as a full queue (retry later). 0 (the default) is half the memory the GC may use: the container's
    /// memory limit when there is one, else the machine's.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long RequestMemoryBytes { get; set; }

    /// <summary>How many shadow copies may be in flight at once; past it, copies are skipped and counted.</summary>
    [Range(1, 100_000)]
    public int ShadowMaxInFlight { get; set; } = 64;

    /// <summary>
    /// The largest request copied to the shadow (its body is held in memory while both run): larger bodies, and REST
    /// bodies of unknown length, are not copied and are counted as <c>too_large</c>. With <see cref="ShadowMaxInFlight"/>
    /// it bounds the memory shadowing takes.
    /// </summary>
    [Range(0, 256L * 1024 * 1024)]
    public long ShadowMaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a shadow copy may take before it is abandoned and counted as a timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ShadowTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest response (primary or shadow) kept for comparison.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public int ShadowMaxResponseBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Floating-point outputs agree when |a - b| &lt;= tolerance * (1 + |a|).</summary>
    [Range(0.0, 1.0)]
    public double ShadowTolerance { get; set; } = 1e-5;
}
