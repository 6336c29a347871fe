namespace Serving.Gateway.Traffic;

/// <summary>Where policies outlive the process: a file by default, Redis (shared by replicas) when configured.</summary>
internal interface ITrafficPolicyStore : IAsyncDisposable
{
    /// <summary>Raised with a model name when another replica changed that model's policy.</summary>
    event Action<string>? Changed;

    /// <summary>
    /// Raised when a shared store's connection is back after it was lost: the change messages sent meanwhile never came,
    /// so everything is read again.
    /// </summary>
    event Action? Reconnected;

    /// <summary>Where the store is, for a log line (a Redis connection string without its password, or the policy file's path).</summary>
    string Where { get; }

    /// <summary>True when replicas share this store (re-reading it periodically is worthwhile).</summary>
    bool IsShared { get; }

    /// <summary>Connects and subscribes to changes.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<TrafficPolicy>> LoadAllAsync(CancellationToken cancellationToken);

    Task<TrafficPolicy?> LoadAsync(string model, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="policy"/> only if the stored revision is still <paramref name="expectedRevision"/>
    /// (0: none stored), and tells the other replicas; false when someone else changed it first.
    /// </summary>
    Task<bool> SaveAsync(TrafficPolicy policy, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Keeps a record of a change (who, when, old, new).</summary>
    Task AppendAuditAsync(PolicyChangeDocument change, CancellationToken cancellationToken);

    /// <summary>The most recent changes of a model, newest first.</summary>
    Task<IReadOnlyList<PolicyChangeDocument>> HistoryAsync(string model, int count, CancellationToken cancellationToken);
}
