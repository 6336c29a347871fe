using System.Text.Encodings.Web;
using System.Text.Json;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Archive;

/// <summary>A schema's names encoded for JSON once, not once per archived line.</summary>
internal sealed class EncodedSchema
{
    private EncodedSchema(RecordSchema schema, JavaScriptEncoder encoder)
    {
        Model = JsonEncodedText.Encode(schema.Model, encoder);
        Version = JsonEncodedText.Encode(schema.Version, encoder);
        Features = [.. schema.FeatureNames.Select(n => JsonEncodedText.Encode(n, encoder))];
        Outputs = [.. schema.OutputNames.Select(n => JsonEncodedText.Encode(n, encoder))];
    }

    public JsonEncodedText Model { get; }

    public JsonEncodedText Version { get; }

    public JsonEncodedText[] Features { get; }

    public JsonEncodedText[] Outputs { get; }

    /// <summary>Encodings per distinct schema (by value: each batch brings its own copy), bounded.</summary>
    public sealed class Cache(JavaScriptEncoder encoder)
    {
        private const int MaxSchemas = 256;

        private readonly Dictionary<RecordSchema, EncodedSchema> _schemas = [];

        public EncodedSchema Get(RecordSchema schema)
        {
            if (!_schemas.TryGetValue(schema, out var encoded))
            {
                if (_schemas.Count >= MaxSchemas)
                {
                    _schemas.Clear();
                }

                encoded = new EncodedSchema(schema, encoder);
                _schemas[schema] = encoded;
            }

            return encoded;
        }
    }
}
