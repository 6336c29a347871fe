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

    /// <summary>
    /// Once the long-lived streams open at shutdown have ended themselves, how long connections stay up before the server
    /// closes them. A proxy in between (the gateway) still has to read each stream's last answers and status: .NET's HTTP/2
    /// client fails a stream whose connection closes while its upload is open, and drops what it had not read yet.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan StreamEndLinger { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Whether SIGTERM, SIGINT and SIGQUIT stop this role. <c>serving up</c> turns it off for its worker and drift monitor:
    /// the signal stops the gateway, then the worker (its last prediction logs still reach the drift monitor), then the
    /// drift monitor, in that order. Off, only the process that embeds the role stops it.
    /// </summary>
    public bool StopOnSignal { get; set; } = true;
}
