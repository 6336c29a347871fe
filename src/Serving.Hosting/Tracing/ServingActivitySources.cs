using System.Diagnostics;

namespace Serving.Hosting.Tracing;

/// <summary>The project's activity sources; every role's tracer listens to all of them.</summary>
public static class ServingActivitySources
{
    /// <summary>The prefix every source name starts with.</summary>
    public const string Prefix = "Serving.";

    /// <summary>Worker spans: queue wait, feature lookup, ONNX Runtime run, log shipping.</summary>
    public static readonly ActivitySource Worker = new("Serving.Worker");

    /// <summary>Gateway spans: version choice, shadow copies.</summary>
    public static readonly ActivitySource Gateway = new("Serving.Gateway");

    /// <summary>Drift monitor spans: ingest, scoring.</summary>
    public static readonly ActivitySource Drift = new("Serving.Drift");
}
