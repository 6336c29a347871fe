using System.Buffers.Text;
using BenchmarkDotNet.Attributes;
using Serving.Drift.Archive;

namespace Serving.Benchmarks.Drift;

/// <summary>
/// The double every archived record has, its latency in milliseconds (whole 100 ns ticks, as the worker measures
/// it), written by the archive's double fast path and by <see cref="Utf8Formatter"/> (what it took before). Each call
/// writes 32 different latencies, so branch prediction can't learn them.
/// </summary>
[MemoryDiagnoser]
public class DoubleTextBenchmarks
{
    private const int Values = 1024;
    private readonly byte[] _buffer = new byte[64];
    private double[] _latencies = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _latencies = [.. Enumerable.Range(0, Values).Select(_ => TimeSpan.FromTicks(random.NextInt64(1_000, 200_000)).TotalMilliseconds)];
    }

    /// <summary><see cref="DoubleText.Write"/> (fast path first), 32 values.</summary>
    [Benchmark]
    public int FastPath()
    {
        var total = 0;
        for (var i = 0; i < 32; i++)
        {
            total += DoubleText.Write(_latencies[_next++ & (Values - 1)], _buffer);
        }

        return total;
    }

    /// <summary><see cref="Utf8Formatter"/> alone, 32 values.</summary>
    [Benchmark(Baseline = true)]
    public int Utf8FormatterOnly()
    {
        var total = 0;
        for (var i = 0; i < 32; i++)
        {
            Utf8Formatter.TryFormat(_latencies[_next++ & (Values - 1)], _buffer, out var written);
            total += written;
        }

        return total;
    }
}
