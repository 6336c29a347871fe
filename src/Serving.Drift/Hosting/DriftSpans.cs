using System.Diagnostics;
using Serving.Hosting.Tracing;

namespace Serving.Drift.Hosting;

/// <summary>The drift monitor's spans: one per ingested batch and one per evaluation, each the root of its own trace.</summary>
internal static class DriftSpans
{
    /// <summary>Starts a root span (an ingest stream lives for hours: its batches are not its children); null when nobody listens.</summary>
    public static Activity? StartRoot(string name, ActivityKind kind)
    {
        if (!ServingActivitySources.Drift.HasListeners())
        {
            return null;
        }

        var current = Activity.Current;
        Activity.Current = null;
        try
        {
            return ServingActivitySources.Drift.StartActivity(name, kind);
        }
        finally
        {
            Activity.Current = current;
        }
    }
}
