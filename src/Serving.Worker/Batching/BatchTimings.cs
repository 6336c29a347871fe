namespace Serving.Worker.Batching;

/// <summary>When a request's batch went through each stage (<see cref="System.Diagnostics.Stopwatch"/> timestamps; 0 = stage skipped).</summary>
internal readonly record struct BatchTimings(long Enqueued, long Started, long FeaturesDone, long RunDone, int Requests, int Rows);
