using Serving.Drift.Monitoring;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// One stream's bindings of record schemas, so a schema repeated in every batch (the usual case)
/// is matched against its profile once. Bounded, since schemas come from the wire.
/// </summary>
internal sealed class SchemaBindings(DriftMonitor monitor)
{
    private const int MaxSchemas = 256;

    private readonly Dictionary<RecordSchema, SchemaBinding> _bindings = [];

    public SchemaBinding Bind(RecordSchema schema)
    {
        // RecordSchema compares by value, so an equal schema in a later batch finds this binding. An unknown version's
        // is looked up again (its profile may have come), and so is a removed version's (its records are unknown now).
        if (_bindings.TryGetValue(schema, out var binding) && binding.Monitor is { IsRemoved: false })
        {
            return binding;
        }

        binding = Create(schema);
        if (_bindings.Count >= MaxSchemas)
        {
            _bindings.Clear();
        }

        _bindings[schema] = binding;
        return binding;
    }

    private SchemaBinding Create(RecordSchema schema)
    {
        var outputValues = schema.OutputSizes.Sum();
        var version = monitor.Find(schema.Model, schema.Version);
        if (version is null)
        {
            return new SchemaBinding(schema, outputValues, null, null, null, null);
        }

        var projection = RecordProjection.Create(version.Profile, schema, out var error);
        return projection is null
            ? new SchemaBinding(schema, outputValues, version, null, error, "feature_count")
            : new SchemaBinding(schema, outputValues, version, projection, null, null);
    }
}
