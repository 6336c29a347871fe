namespace Serving.Gateway.Rollback;

/// <summary>What one routed request says about the version that served it.</summary>
internal enum RequestOutcome
{
    /// <summary>Says nothing about the version: the caller's bad input (4xx), a full queue, a cancelled call.</summary>
    Ignored,

    /// <summary>The version answered.</summary>
    Ok,

    /// <summary>
    /// The version failed: 5xx, gRPC UNAVAILABLE / INTERNAL / UNKNOWN / DEADLINE_EXCEEDED, or no worker could be reached.
    /// An expiry of the caller's own deadline is counted only when the baseline would have met it (<see cref="ModelOutcomes.Record"/>).
    /// </summary>
    Failed,
}
