using Serving.LoadTests.Bench;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// The real worker in this process (<see cref="InProcessWorker"/>) with the bench's settings (batching on) plus the
/// Redis connection string, so entity-form calls look features up in Redis.
/// </summary>
internal static class FeatureWorker
{
    /// <summary>The configuration: the bench's, with the feature store on <paramref name="redis"/> and, if given, its call timeout.</summary>
    public static Dictionary<string, string?> Settings(string repository, string redis, TimeSpan? storeTimeout)
    {
        var settings = InProcessWorker.Settings(repository, batching: true);
        settings["Serving:Features:Redis"] = redis;
        if (storeTimeout is { } timeout)
        {
            settings["Serving:Features:Timeout"] = timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>Builds and starts the worker; its models are loaded when this returns.</summary>
    public static Task<InProcessWorker> StartAsync(string repository, string redis, TimeSpan? storeTimeout, CancellationToken cancellationToken) =>
        InProcessWorker.StartAsync(Settings(repository, redis, storeTimeout), cancellationToken);
}
