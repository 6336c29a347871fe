using System.ComponentModel.DataAnnotations;

namespace Serving.Worker.Configuration;

/// <summary>The feature store (section <c>Serving:Features</c>): Redis when a connection string is set, else in memory.</summary>
public sealed class FeatureStoreOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Features";

    /// <summary>StackExchange.Redis connection string; empty = the in-memory store preloaded from each model's CSV.</summary>
    public string? Redis { get; set; }

    /// <summary>Each lookup's time limit; past it the lookup fails and the breaker opens at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Consecutive fast failures (error answers, refused connections) that open the circuit breaker; one timeout opens it.</summary>
    [Range(1, 1000)]
    public int BreakerFailures { get; set; } = 3;

    /// <summary>How long an open breaker refuses lookups before it lets one through to probe.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan BreakerOpenFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most entities in one Redis call; a larger batch is split into calls sent together (one round trip).</summary>
    [Range(1, 100_000)]
    public int MaxKeysPerCall { get; set; } = 256;
}
