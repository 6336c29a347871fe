using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Serving.Worker.Features;

namespace Serving.Benchmarks.Features;

/// <summary>
/// Reading one entity of the tabular sample in the packed layout (30 <c>field=value</c> lines, values as the
/// loader writes them), and the same 30 values parsed by the general parser alone, for the fast path's gain.
/// </summary>
[MemoryDiagnoser]
public class PackedFeaturesBenchmarks
{
    private PackedFeatures _packed = null!;
    private byte[] _entity = null!;
    private byte[][] _values = null!;

    [GlobalSetup]
    public void Setup()
    {
        var fields = Enumerable.Range(0, 30).Select(i => $"feature_{i}").ToArray();
        var random = new Random(1);

        // The breast-cancer features span 0.001 to 4,000 with 2 to 5 decimals; the loader writes them shortest round-trip.
        var values = Enumerable.Range(0, 30).Select(i => Math.Round(random.NextDouble() * Math.Pow(10, (i % 5) - 1), 4)).ToArray();
        _packed = new PackedFeatures(fields);
        _entity = Encoding.UTF8.GetBytes(PackedFeatures.Format(fields, values));
        _values = [.. values.Select(v => Encoding.UTF8.GetBytes(v.ToString("R", CultureInfo.InvariantCulture)))];
    }

    /// <summary><see cref="PackedFeatures.Parse"/>: one entity, 30 values.</summary>
    [Benchmark]
    public double[]? ParseEntity() => _packed.Parse(_entity);

    /// <summary>The 30 values through <see cref="FeatureValueText.Parse"/> (fast path first).</summary>
    [Benchmark(Baseline = true)]
    public double ValuesFastPath()
    {
        var sum = 0.0;
        foreach (var v in _values)
        {
            sum += FeatureValueText.Parse(v);
        }

        return sum;
    }

    /// <summary>The 30 values through <see cref="System.Buffers.Text.Utf8Parser"/> alone (what every value took before).</summary>
    [Benchmark]
    public double ValuesGeneralParser()
    {
        var sum = 0.0;
        foreach (var v in _values)
        {
            System.Buffers.Text.Utf8Parser.TryParse(v, out double d, out _);
            sum += d;
        }

        return sum;
    }
}
