using System.Text.Json;
using Google.Protobuf.Collections;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// The per-feature value samples and the prediction sample of a version's <c>reference.json</c>: realistic
/// values to put in bench records. When every sample has the same length, a record takes one whole row.
/// </summary>
internal sealed class ReferenceProfileSamples
{
    private readonly double[][] _samples;
    private readonly double[] _predictions;
    private readonly bool _rows;

    private ReferenceProfileSamples(string[] names, double[][] samples, double[] predictions)
    {
        Names = names;
        _samples = samples;
        _predictions = predictions;
        _rows = samples.Length > 0 && samples.All(s => s.Length == samples[0].Length);
    }

    /// <summary>The profile's feature names, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Reads <paramref name="path"/>; a missing or malformed file is a <see cref="LoadTestException"/>.</summary>
    public static ReferenceProfileSamples Load(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var features = document.RootElement.GetProperty("features").EnumerateArray().ToArray();
            var samples = features.Select(f => f.GetProperty("sample").EnumerateArray().Select(Number).ToArray()).ToArray();
            var predictions = document.RootElement.GetProperty("prediction").GetProperty("sample").EnumerateArray().Select(Number).ToArray();
            if (features.Length == 0 || samples.Any(s => s.Length == 0) || predictions.Length == 0)
            {
                throw new LoadTestException($"the reference profile '{path}' has no features or an empty sample");
            }

            return new ReferenceProfileSamples([.. features.Select(f => f.GetProperty("name").GetString() ?? string.Empty)], samples, predictions);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new LoadTestException($"cannot read the reference profile '{path}' (the drift bench needs the served version's reference.json): {e.Message}", e);
        }
    }

    /// <summary>Appends <paramref name="count"/> feature values: the profile's columns in order (repeated if the schema has more).</summary>
    public void DrawRow(Random random, int count, RepeatedField<double> destination)
    {
        var row = _rows ? random.Next(_samples[0].Length) : -1;
        for (var f = 0; f < count; f++)
        {
            var sample = _samples[f % _samples.Length];
            destination.Add(sample[row >= 0 ? row : random.Next(sample.Length)]);
        }
    }

    /// <summary>A prediction from the profile's prediction sample.</summary>
    public double DrawPrediction(Random random) => _predictions[random.Next(_predictions.Length)];

    // Category labels (strings) in a categorical sample count as missing numbers.
    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
}
