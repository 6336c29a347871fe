namespace Serving.Gateway.Discovery;

/// <summary>
/// One worker the gateway forwards to. Its addresses never change; its health is mutable and read
/// lock-free on every request (active probes and passive failures write it).
/// </summary>
internal sealed class WorkerEndpoint(string restPrefix, string grpcPrefix)
{
    private int _inFlight;
    private long _excludedUntil;
    private volatile bool _probeHealthy = true;

    /// <summary>The REST base address without a trailing slash, e.g. <c>http://10.0.0.5:8080</c>.</summary>
    public string RestPrefix { get; } = restPrefix.TrimEnd('/');

    /// <summary>The gRPC base address without a trailing slash.</summary>
    public string GrpcPrefix { get; } = grpcPrefix.TrimEnd('/');

    /// <summary>A short name for logs and the admin API.</summary>
    public string Name => RestPrefix;

    /// <summary>Requests currently forwarded to this worker.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>False after failed probes, true again after a good one.</summary>
    public bool ProbeHealthy => _probeHealthy;

    /// <summary>True when the worker should get requests: probes pass and no recent connection failure excludes it.</summary>
    public bool IsHealthy => _probeHealthy && Environment.TickCount64 >= Volatile.Read(ref _excludedUntil);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>A forwarded request failed to reach the worker: leave it out for <paramref name="period"/>.</summary>
    public void ExcludeFor(TimeSpan period) => Volatile.Write(ref _excludedUntil, Environment.TickCount64 + (long)period.TotalMilliseconds);

    /// <summary>Records the active probes' verdict.</summary>
    public void SetProbeHealthy(bool healthy) => _probeHealthy = healthy;
}
