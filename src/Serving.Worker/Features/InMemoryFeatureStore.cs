using System.Collections.Frozen;

namespace Serving.Worker.Features;

/// <summary>The store used without Redis (<c>serving up</c>): a model's CSV loaded into memory at start.</summary>
internal sealed class InMemoryFeatureStore(FrozenDictionary<string, FrozenDictionary<string, double>> entities) : IFeatureStore
{
    public string Kind => "memory";

    public int Count => entities.Count;

    /// <summary>Loads <paramref name="csvPath"/>; keys are <paramref name="keyPattern"/> with the id put in.</summary>
    public static InMemoryFeatureStore Load(string? csvPath, string keyPattern)
    {
        var entities = new Dictionary<string, FrozenDictionary<string, double>>(StringComparer.Ordinal);
        if (csvPath is not null)
        {
            using var reader = new StreamReader(csvPath);
            var header = FeatureCsv.ReadHeader(reader.ReadLine() ?? "");
            var lineNumber = 1;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (line.Length > 0 && FeatureCsv.ParseLine(lineNumber, line, header) is FeatureCsv.Row row)
                {
                    entities[FeatureKeys.Format(keyPattern, row.Id)] = header.Fields.Zip(row.Values).ToFrozenDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
                }
            }
        }

        return new InMemoryFeatureStore(entities.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken)
    {
        var result = new double[]?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            if (entities.TryGetValue(keys[i], out var entity))
            {
                result[i] = fields.Select(f => entity.TryGetValue(f, out var v) ? v : double.NaN).ToArray();
            }
        }

        return Task.FromResult(result);
    }
}
