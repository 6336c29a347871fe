using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using Serving.Worker.Models;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The record layouts per model version, built on a version's first prediction and reused: whether
/// it is batched (from the repository), its feature names (from its <c>reference.json</c>), and one
/// layout per request shape seen (a request may ask for a subset of the outputs).
/// </summary>
internal sealed class RecordSchemaCache(Func<string, long, bool> isBatched, string repositoryRoot)
{
    // A handful of request shapes per version is normal; more means callers vary outputs freely.
    private const int MaxLayoutsPerVersion = 8;

    private readonly ConcurrentDictionary<(string Model, string Version), VersionLayouts> _versions = new();
    private readonly string _root = Path.GetFullPath(repositoryRoot);

    /// <summary>The cache over the worker's repository: batching from the loaded signature, names from the version folder.</summary>
    public static RecordSchemaCache ForRepository(ModelRepository repository, IOptions<WorkerOptions> worker) =>
        new((model, version) => repository.Table.Models.TryGetValue(model, out var entry)
                && entry.Versions.TryGetValue(version, out var loaded)
                && loaded.Runner?.Signature.MaxBatchSize > 0,
            worker.Value.ModelRepository);

    /// <summary>The layout for this prediction, or null when the request has no rows.</summary>
    public RecordLayout? Resolve(in PredictionContext prediction)
    {
        var entry = _versions.GetOrAdd((prediction.Model, prediction.Version), static (key, self) => self.Describe(key.Model, key.Version), this);
        var rows = RecordLayout.RowsOf(entry.Batched, prediction.Inputs);
        if (rows < 1)
        {
            return null;
        }

        var layouts = Volatile.Read(ref entry.Layouts);
        foreach (var layout in layouts)
        {
            if (layout.Matches(rows, prediction.Inputs, prediction.Outputs))
            {
                return layout;
            }
        }

        var created = RecordLayout.Create(prediction.Model, prediction.Version, entry.Batched, rows, prediction.Inputs, prediction.Outputs, entry.ReferenceNames);
        // Copy-on-write; a lost race only builds an equal layout twice.
        Volatile.Write(ref entry.Layouts, [created, .. layouts.Take(MaxLayoutsPerVersion - 1)]);
        return created;
    }

    // Once per version: its first prediction reads the repository table and the small reference file.
    private VersionLayouts Describe(string model, string version)
    {
        var hasNumber = ModelNames.TryParseVersion(version, out var number);
        var batched = hasNumber && isBatched(model, number);
        // Both names passed the repository's strict pattern, so they are safe path segments.
        var names = hasNumber && ModelNames.IsValidName(model)
            ? ReferenceFeatureNames.TryRead(Path.Combine(_root, model, version, "reference.json"))
            : null;
        return new VersionLayouts(batched, names);
    }

    private sealed class VersionLayouts(bool batched, IReadOnlyList<string>? referenceNames)
    {
        public RecordLayout[] Layouts = [];

        public bool Batched { get; } = batched;

        public IReadOnlyList<string>? ReferenceNames { get; } = referenceNames;
    }
}
