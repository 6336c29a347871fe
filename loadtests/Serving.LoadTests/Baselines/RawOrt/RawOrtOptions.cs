namespace Serving.LoadTests.Baselines.RawOrt;

/// <summary>What <see cref="RawOrtBenchmark"/> measures.</summary>
/// <param name="ModelPath">The .onnx file.</param>
/// <param name="Batches">The batch sizes to measure, each for <paramref name="Duration"/>.</param>
/// <param name="Duration">Measured time per batch size.</param>
/// <param name="Warmup">Unmeasured runs before each batch size.</param>
/// <param name="IntraOpThreads">0 is ORT's default (one per physical core).</param>
/// <param name="Callers">Threads calling <c>session.Run</c> on the one session at once, as a worker's model instances do.</param>
internal sealed record RawOrtOptions(string ModelPath, IReadOnlyList<int> Batches, TimeSpan Duration, TimeSpan Warmup, int IntraOpThreads = 0, int Callers = 1);
