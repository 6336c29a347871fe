namespace Serving.LoadTests.Generator;

/// <summary>How much load, for how long. Bounded in time and, optionally, in count: a run always ends by itself.</summary>
internal sealed record LoadProfile
{
    /// <summary>Closed or open model.</summary>
    public LoadMode Mode { get; init; } = LoadMode.Closed;

    /// <summary>Closed model: the number of callers.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Open model: arrivals per second at the start of the measured window.</summary>
    public double Rate { get; init; }

    /// <summary>Open model: the rate reached at the end of the measured window (linear ramp); null keeps <see cref="Rate"/>.</summary>
    public double? RampTo { get; init; }

    /// <summary>The measured window.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Load before the measured window that is sent but not recorded (JIT, connections, server caches).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Stop after this many measured requests, if it comes before the end of <see cref="Duration"/>.</summary>
    public long? MaxRequests { get; init; }

    /// <summary>Open model: the most requests outstanding at once; due requests beyond it are not sent and count as client-saturated.</summary>
    public int MaxInFlight { get; init; } = 1024;

    /// <summary>
    /// Open model: the scheduler wakes at most this often and sends what fell due meanwhile, each request still
    /// measured from its own due time. Zero wakes for every request (one wake-up and context switch each).
    /// </summary>
    /// <remarks>
    /// Waking per request costs a context switch each, which on 2 shared cores is CPU taken from the server: at
    /// 17k req/s against the worker, waking per request doubled the CPU per call and put p99 at 36 ms; waking
    /// every 250 µs kept p99 at 4–6 ms. A request due just after a wake waits for the next one, so the measured
    /// latency includes up to this much of the generator's own delay.
    /// </remarks>
    public TimeSpan WakeInterval { get; init; } = DefaultWakeInterval;

    /// <summary>The default <see cref="WakeInterval"/>.</summary>
    public static TimeSpan DefaultWakeInterval => TimeSpan.FromMicroseconds(250);

    /// <summary>gRPC: the number of channels (each with its own HTTP/2 connections); null means one per 64 callers.</summary>
    public int? Connections { get; init; }

    /// <summary>How long requests still outstanding at the end may take before they are cancelled.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The most callers that can be busy at once.</summary>
    public int Callers => Mode == LoadMode.Closed ? Concurrency : MaxInFlight;

    /// <summary>The gRPC channel count actually used.</summary>
    public int EffectiveConnections
    {
        get
        {
            // The open model rarely has all MaxInFlight slots busy; size for a few hundred, EnableMultipleHttp2Connections covers the rest.
            var busy = Mode == LoadMode.Closed ? Concurrency : Math.Min(MaxInFlight, 256);
            return Connections ?? Math.Clamp((busy + 63) / 64, 1, 64);
        }
    }

    /// <summary>Throws when the profile cannot run.</summary>
    public void Validate()
    {
        Require(Duration > TimeSpan.Zero, "--duration must be positive");
        Require(Warmup >= TimeSpan.Zero, "--warmup must not be negative");
        Require(MaxRequests is null or > 0, "--requests must be positive");
        Require(Connections is null or > 0, "--connections must be positive");
        if (Mode == LoadMode.Closed)
        {
            Require(Concurrency is > 0 and <= 100_000, "--concurrency must be between 1 and 100000");
        }
        else
        {
            Require(Rate > 0 && double.IsFinite(Rate), "--rate must be positive for --mode open");
            Require(RampTo is null or >= 0, "--ramp-to must not be negative");
            Require(MaxInFlight is > 0 and <= 100_000, "--max-in-flight must be between 1 and 100000");
            Require(WakeInterval >= TimeSpan.Zero && WakeInterval <= TimeSpan.FromMilliseconds(10), "--wake-interval must be between 0 and 10ms");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw LoadTestException.Usage(message);
        }
    }
}
