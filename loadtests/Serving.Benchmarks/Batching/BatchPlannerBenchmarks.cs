using BenchmarkDotNet.Attributes;
using Serving.Benchmarks.Support;
using Serving.Worker.Batching;

namespace Serving.Benchmarks.Batching;

/// <summary><see cref="BatchPlanner.Plan"/> over a queue of one-row requests (max batch 64, no delay, no preferred sizes), as the batcher calls it under its lock.</summary>
[MemoryDiagnoser]
public class BatchPlannerBenchmarks
{
    private static readonly string[] OutputNames = ["probabilities"];
    private readonly BatchSettings _settings = new(64, 0, [], 1024, 1, 0);
    private LinkedList<BatchItem> _queue = null!;

    /// <summary>Requests waiting.</summary>
    [Params(1, 64, 256)]
    public int Queued { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var input = Samples.Fp32("input", 1, Samples.Features);
        _queue = new LinkedList<BatchItem>(Enumerable.Range(0, Queued).Select(i => new BatchItem([input], OutputNames, i, long.MaxValue)));
    }

    /// <summary>One planning decision.</summary>
    [Benchmark]
    public int Plan() => BatchPlanner.Plan(_queue, _settings, Queued).Take;
}
