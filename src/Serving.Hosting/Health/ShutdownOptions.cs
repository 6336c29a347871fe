using System.ComponentModel.DataAnnotations;

namespace Serving.Hosting.Health;

/// <summary>How a role shuts down on SIGTERM (section <c>Serving:Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Shutdown";

    /// <summary>How long readiness reports false before the server stops taking connections (lets load balancers notice).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ReadinessGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long in-flight requests may take to finish before the process exits anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
