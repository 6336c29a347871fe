using System.Collections.Frozen;

namespace Serving.Worker.Features;

/// <summary>The store used without Redis (<c>serving up</c>): a model's CSV loaded into memory at start.</summary>
internal sealed class InMemoryFeatureStore(FrozenDictionary<string, FrozenDictionary<string, double>> entities) : IFeatureStore
{
    public string Kind => "memory";

    public int Count => entities.Count;

    /// <summary>
    /// Loads <paramref name="csvPath"/>; keys are <paramref name="keyPattern"/> with the id put in. Rows that don't parse,
    /// and a later row of an id already read, are left out and reported through <paramref name="refused"/> (the
    /// entities of the first kind then read as missing).
    /// </summary>
    /// <exception cref="Models.ModelConfigException">
    /// The file can't be read, or its header is not an id column and fields, or lacks some of <paramref name="fields"/>.
    /// </exception>
    public static InMemoryFeatureStore Load(string? csvPath, string keyPattern, IReadOnlyList<string> fields, Action<FeatureCsv.BadRow>? refused = null)
    {
        var entities = new Dictionary<string, FrozenDictionary<string, double>>(StringComparer.Ordinal);
        if (csvPath is not null)
        {
            try
            {
                using var reader = Serving.Hosting.Configuration.RepositoryFile.OpenText(csvPath);
                var header = FeatureCsv.ReadHeader(reader.ReadLine() ?? "");
                if (FeatureCsv.MissingFields(header, fields) is { } missing)
                {
                    throw new FormatException(missing); // every entity would read as all defaults
                }

                var firstLines = new Dictionary<string, int>(StringComparer.Ordinal);
                var lineNumber = 1;
                while (reader.ReadLine() is { } line)
                {
                    lineNumber++;
                    switch (line.Length > 0 ? FeatureCsv.ParseLine(lineNumber, line, header) : null)
                    {
                        case FeatureCsv.Row row when !firstLines.TryAdd(row.Id, row.Line):
                            refused?.Invoke(new FeatureCsv.BadRow(row.Line, $"id '{row.Id}' is also on line {firstLines[row.Id]} (each entity once)"));
                            break;
                        case FeatureCsv.Row row:
                            entities[FeatureKeys.Format(keyPattern, row.Id)] = header.Fields.Zip(row.Values).ToFrozenDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
                            break;
                        case FeatureCsv.BadRow bad:
                            refused?.Invoke(bad);
                            break;
                    }
                }
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                // The file model.yaml's features.csv names, by its own name.
                throw new Models.ModelConfigException($"{Path.GetFileName(csvPath)}: {(e is FormatException ? e.Message : "it could not be read")}; fix it and the model's versions load again");
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
