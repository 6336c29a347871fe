namespace Serving.LoadTests.Tests.FeatureBench;

/// <summary>
/// Runs alone: the worker's Prometheus counters are process-wide, so another test serving the tabular model at the
/// same time would add its batches to the ones this bench divides Redis's round trips by.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FeaturesBenchCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "features-bench (process-wide metrics)";
}
