using System.Diagnostics;
using Serving.Hosting.Tracing;
using Serving.Worker.Batching;

namespace Serving.Worker.Inference;

/// <summary>
/// Writes a request's worker spans after the fact, from the batch's timestamps, as children of the
/// request's own span: they land in the caller's trace even though the batch ran on another thread.
/// </summary>
internal static class InferenceSpans
{
    public static void Record(in BatchTimings t, string model, string version)
    {
        var parent = Activity.Current;
        if (parent is null || !ServingActivitySources.Worker.HasListeners() || t.RunDone == 0)
        {
            return;
        }

        var now = DateTime.UtcNow;
        var nowTicks = Stopwatch.GetTimestamp();
        DateTime At(long ts) => now - Stopwatch.GetElapsedTime(ts, nowTicks);

        Span("queue wait", parent, At(t.Enqueued), At(t.Started), model, version, t);
        var runStart = t.Started;
        if (t.FeaturesDone != 0)
        {
            Span("feature lookup", parent, At(t.Started), At(t.FeaturesDone), model, version, t);
            runStart = t.FeaturesDone;
        }

        Span("onnxruntime run", parent, At(runStart), At(t.RunDone), model, version, t);
    }

    private static void Span(string name, Activity parent, DateTime start, DateTime end, string model, string version, in BatchTimings t)
    {
        using var span = ServingActivitySources.Worker.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: start);
        if (span is null)
        {
            return;
        }

        span.SetTag("serving.model", model);
        span.SetTag("serving.version", version);
        span.SetTag("serving.batch.requests", t.Requests);
        span.SetTag("serving.batch.rows", t.Rows);
        span.SetEndTime(end);
    }
}
