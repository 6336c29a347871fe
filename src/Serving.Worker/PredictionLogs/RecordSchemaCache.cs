using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using Serving.Worker.Models;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The record layouts per model version, built on a version's first prediction and reused: whether
/// it is batched (from the repository), its feature names (from its <c>reference.json</c>), and one
/// layout per request shape seen (a request may ask for a subset of the outputs). A version reloaded
/// from other files (the prediction's <see cref="PredictionContext.LoadedFrom"/> changed) is described again.
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
        var key = (prediction.Model, prediction.Version);
        var entry = _versions.GetOrAdd(key, static (key, state) => state.Self.Describe(key.Model, key.Version, state.Files), (Self: this, Files: prediction.LoadedFrom));
        if (prediction.LoadedFrom is { } files && !string.Equals(files, entry.LoadedFrom, StringComparison.Ordinal))
        {
            // Reloaded (a retrained model.onnx with its reference.json, a model.yaml that batches now): described anew.
            // The inference already holds the version it ran, so this costs the hot path one string compare.
            entry = Describe(prediction.Model, prediction.Version, files);
            _versions[key] = entry;
        }

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
    private VersionLayouts Describe(string model, string version, string? files)
    {
        var hasNumber = ModelNames.TryParseVersion(version, out var number);
        var batched = hasNumber && isBatched(model, number);
        // Both names passed the repository's strict pattern, so they are safe path segments.
        var names = hasNumber && ModelNames.IsValidName(model)
            ? ReferenceFeatureNames.TryRead(Path.Combine(_root, model, version, "reference.json"))
            : null;
        return new VersionLayouts(batched, names, files);
    }

    private sealed class VersionLayouts(bool batched, IReadOnlyList<string>? referenceNames, string? loadedFrom)
    {
        public RecordLayout[] Layouts = [];

        /// <summary>What identifies the files of the version described (null: not known).</summary>
        public string? LoadedFrom { get; } = loadedFrom;

        public bool Batched { get; } = batched;

        public IReadOnlyList<string>? ReferenceNames { get; } = referenceNames;
    }
}
