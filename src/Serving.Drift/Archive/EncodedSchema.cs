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
        FeatureKeys = [.. Features.Select((name, i) => Key(i == 0 ? "\""u8 : ",\""u8, name, "\":"u8))];
        OutputKeys = [.. Outputs.Select((name, i) => Key(i == 0 ? "\""u8 : ",\""u8, name, "\":["u8))];
        OutputSizes = [.. schema.OutputSizes];
        FeatureSingle = Flags(schema.FeatureSinglePrecision, Features.Length);
        OutputSingle = Flags(schema.OutputSinglePrecision, Outputs.Length);
        KeyBytes = FeatureKeys.Sum(k => k.Length) + OutputKeys.Sum(k => k.Length);
    }

    public JsonEncodedText Model { get; }

    public JsonEncodedText Version { get; }

    public JsonEncodedText[] Features { get; }

    public JsonEncodedText[] Outputs { get; }

    /// <summary>Each feature's <c>"name":</c> as it appears in a line, with the comma before every one but the first.</summary>
    public byte[][] FeatureKeys { get; }

    /// <summary>Each output's <c>"name":[</c>, with the comma before every one but the first.</summary>
    public byte[][] OutputKeys { get; }

    /// <summary>Values per row of each output.</summary>
    public int[] OutputSizes { get; }

    /// <summary>Per feature: written in float32's shortest form (see <see cref="RecordSchema.FeatureSinglePrecision"/>).</summary>
    public bool[] FeatureSingle { get; }

    /// <summary>Per output: its values are written in float32's shortest form.</summary>
    public bool[] OutputSingle { get; }

    /// <summary>The bytes of all keys together: what a line spends on names.</summary>
    public int KeyBytes { get; }

    // The batch validator lets through no flags or one per name; no flags means none is single precision.
    private static bool[] Flags(IReadOnlyList<bool> flags, int count) =>
        flags.Count == count ? [.. flags] : new bool[count];

    private static byte[] Key(ReadOnlySpan<byte> before, JsonEncodedText name, ReadOnlySpan<byte> after) =>
        [.. before, .. name.EncodedUtf8Bytes, .. after];

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
