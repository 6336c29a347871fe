namespace Serving.Gateway.Admin;

/// <summary>One version of a model in the admin list.</summary>
internal sealed class AdminVersionDocument
{
    public string Version { get; set; } = "";

    public bool Ready { get; set; }

    public int Weight { get; set; }

    public int HealthyWorkers { get; set; }

    public int Workers { get; set; }

    /// <summary>What the workers' index says of a version they list but none serves (its state and reason); null when a worker lists it READY.</summary>
    public string? NotServedBecause { get; set; }

    /// <summary>This gateway's rollback window of the version; null when the policy has no rollback settings or the version no weight.</summary>
    public AdminWindowDocument? RollbackWindow { get; set; }
}
