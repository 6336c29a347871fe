using System.Text.Json;
using Serving.Drift.Ingest;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Archive;

/// <summary>
/// Writes one archived record as a JSON object (one line of the archive): names next to values, so a
/// line stands alone for retraining and audit. Non-finite numbers are written as null. Values the schema flags as
/// single precision (from FP32, FP16 and BF16 tensors) are written in float32's shortest form, which parses back to
/// the same float32; the rest in double's.
/// </summary>
internal static class ArchiveJson
{
    public static void Write(Utf8JsonWriter json, in ArchiveEntry entry, EncodedSchema names, DateTimeOffset receivedAt)
    {
        var (schema, record, status) = entry;
        json.WriteStartObject();
        json.WriteString("received_at"u8, receivedAt);
        json.WriteString("model"u8, names.Model);
        json.WriteString("version"u8, names.Version);
        json.WriteString("status"u8, status == ArchiveStatus.Scored ? "scored"u8 : "unknown_version"u8);
        json.WriteString("request_id"u8, record.RequestId);
        WriteTimestamp(json, record.TimestampUnixNanos);
        json.WriteNumber("timestamp_unix_nanos"u8, record.TimestampUnixNanos);
        WriteNumber(json, "latency_ms"u8, record.LatencyMs);
        if (record.ArmUtf8.Length > 0)
        {
            json.WriteString("arm"u8, record.Arm);
        }

        json.WriteStartObject("features"u8);
        var features = record.Features;
        for (var i = 0; i < features.Length; i++)
        {
            json.WritePropertyName(names.Features[i]);
            WriteValue(json, features[i], names.FeatureSingle[i]);
        }

        json.WriteEndObject();
        if (record.CategoricalFeatures.Count > 0)
        {
            json.WriteStartObject("categorical_features"u8);
            foreach (var (name, label) in record.CategoricalFeatures)
            {
                json.WriteString(name, label);
            }

            json.WriteEndObject();
        }

        WriteOutputs(json, schema, names, record);
        json.WriteEndObject();
    }

    private static void WriteOutputs(Utf8JsonWriter json, RecordSchema schema, EncodedSchema names, IngestRecord record)
    {
        json.WriteStartObject("outputs"u8);
        var outputs = record.Outputs;
        var offset = 0;
        for (var o = 0; o < schema.OutputNames.Count; o++)
        {
            json.WriteStartArray(names.Outputs[o]);
            for (var k = 0; k < schema.OutputSizes[o]; k++)
            {
                WriteValue(json, outputs[offset + k], names.OutputSingle[o]);
            }

            offset += schema.OutputSizes[o];
            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteTimestamp(Utf8JsonWriter json, long unixNanos)
    {
        var ticks = (unixNanos / 100) + DateTime.UnixEpoch.Ticks;
        if (ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks)
        {
            json.WriteString("timestamp"u8, new DateTime(ticks, DateTimeKind.Utc));
        }
        else
        {
            json.WriteNull("timestamp"u8);
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, double value)
    {
        json.WritePropertyName(name);
        WriteValue(json, value);
    }

    /// <summary>
    /// True when <paramref name="value"/> is written as a float32: flagged single precision and exactly a float32
    /// (a flag on a value that is not, from a sender that got it wrong, loses nothing: the double is written).
    /// </summary>
    public static bool IsSingle(double value, bool single) => single && (double)(float)value == value;

    private static void WriteValue(Utf8JsonWriter json, double value, bool single = false)
    {
        if (!double.IsFinite(value))
        {
            json.WriteNullValue();
        }
        else if (IsSingle(value, single))
        {
            json.WriteNumberValue((float)value);
        }
        else
        {
            json.WriteNumberValue(value);
        }
    }
}
