using System.Buffers.Text;
using BenchmarkDotNet.Attributes;
using Serving.Drift.Archive;

namespace Serving.Benchmarks.Drift;

/// <summary>
/// The numbers of one archived tabular record: 30 float32 inputs and 2 probabilities, written by the archive's float
/// fast path and by <see cref="Utf8Formatter"/> (what every value took before). The inputs are either raw
/// breast-cancer-like decimals (up to 1,000, 2 to 5 decimals) or scaled ones (any float in [0, 1), as the sample
/// model's scaled features: most need 8 or 9 digits). Each call takes the next of 1,024 different records, so
/// branch prediction can't learn the values.
/// </summary>
[MemoryDiagnoser]
public class SingleTextBenchmarks
{
    private const int Records = 1024;
    private readonly byte[] _buffer = new byte[64];
    private float[][] _records = null!;
    private int _next;

    /// <summary>Raw decimals, or scaled floats in [0, 1).</summary>
    [Params("raw", "scaled")]
    public string Inputs { get; set; } = "raw";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _records = [.. Enumerable.Range(0, Records).Select(_ => Inputs == "scaled" ? ScaledRecord(random) : Record(random))];
    }

    /// <summary><see cref="SingleText.Write"/> (fast path first).</summary>
    [Benchmark]
    public int FastPath()
    {
        var total = 0;
        foreach (var v in NextRecord())
        {
            total += SingleText.Write(v, _buffer);
        }

        return total;
    }

    /// <summary><see cref="Utf8Formatter"/> alone.</summary>
    [Benchmark(Baseline = true)]
    public int Utf8FormatterOnly()
    {
        var total = 0;
        foreach (var v in NextRecord())
        {
            Utf8Formatter.TryFormat(v, _buffer, out var written);
            total += written;
        }

        return total;
    }

    private static float[] Record(Random random)
    {
        var inputs = Enumerable.Range(0, 30).Select(i => (float)Math.Round(random.NextDouble() * Math.Pow(10, (i % 5) - 1), 2 + (i % 4)));
        var p = (float)random.NextDouble();
        return [.. inputs, p, 1 - p];
    }

    private static float[] ScaledRecord(Random random)
    {
        var inputs = Enumerable.Range(0, 30).Select(_ => random.NextSingle());
        var p = random.NextSingle();
        return [.. inputs, p, 1 - p];
    }

    private float[] NextRecord() => _records[_next++ & (Records - 1)];
}
