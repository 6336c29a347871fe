using BenchmarkDotNet.Attributes;
using Serving.Benchmarks.Support;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;

namespace Serving.Benchmarks.Batching;

/// <summary>The batcher's copies: 64 one-row [1, 30] requests into one [64, 30] input, and a [64, 2] output back into 64 slices.</summary>
[MemoryDiagnoser]
public class BatchAssemblerBenchmarks
{
    private const int Requests = 64;
    private static readonly string[] OutputNames = ["probabilities"];
    private List<BatchItem> _batch = null!;
    private List<InferTensor> _outputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _batch = Enumerable.Range(0, Requests)
            .Select(_ => new BatchItem([Samples.Fp32("input", 1, Samples.Features)], OutputNames, 0, long.MaxValue))
            .ToList();

        // Not pooled, so the last slice's release returns nothing to the pool and the outputs can be reused.
        _outputs = [Samples.Fp32("probabilities", Requests, 2)];
    }

    /// <summary><see cref="BatchAssembler.Concatenate"/> (pooled buffer, returned on dispose).</summary>
    [Benchmark]
    public int Concatenate()
    {
        var inputs = BatchAssembler.Concatenate(_batch, Requests);
        foreach (var input in inputs)
        {
            input.Dispose();
        }

        return inputs.Length;
    }

    /// <summary><see cref="BatchAssembler.Slice"/>, then every response releases its hold on the shared outputs.</summary>
    [Benchmark]
    public int Slice()
    {
        var results = BatchAssembler.Slice(_outputs, _batch, Requests);
        foreach (var result in results)
        {
            result.Owner?.Dispose();
        }

        return results.Length;
    }
}
