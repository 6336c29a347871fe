using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Serving.Drift.Ingest;
using Serving.Hosting.Buffers;

namespace Serving.Drift.Archive;

/// <summary>
/// Formats an archived record's line straight from the protobuf record into a buffer: byte for byte the line
/// <see cref="ArchiveJson"/> writes (the same number, date and escaping rules), without a JSON writer's
/// per-call overhead. Records whose strings would need escaping, or that carry categorical features, are
/// left to <see cref="ArchiveJson"/> (<see cref="TryWrite"/> returns false).
/// </summary>
internal static class ArchiveLine
{
    // Utf8JsonWriter's longest double ("-1.7976931348623157E+308") and long, with room to spare.
    private const int MaxNumberBytes = 32;
    private const int MaxFixedBytes = 256;

    // Printable ASCII but the two characters JSON strings escape: written as they are by the relaxed encoder.
    private static readonly SearchValues<byte> Plain = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>
    /// The start of every line of one batch, schema and status: <c>{"received_at":…,"model":…,"version":…,"status":…</c>,
    /// written by a <see cref="Utf8JsonWriter"/> so it is exactly what <see cref="ArchiveJson"/> writes.
    /// </summary>
    public static byte[] Prefix(Utf8JsonWriter json, ArrayBufferWriter<byte> scratch, EncodedSchema names, ArchiveStatus status, DateTimeOffset receivedAt)
    {
        scratch.ResetWrittenCount();
        json.Reset(scratch);
        json.WriteStartObject();
        json.WriteString("received_at"u8, receivedAt);
        json.WriteString("model"u8, names.Model);
        json.WriteString("version"u8, names.Version);
        json.WriteString("status"u8, status == ArchiveStatus.Scored ? "scored"u8 : "unknown_version"u8);
        json.Flush();
        return scratch.WrittenSpan.ToArray();
    }

    /// <summary>Appends the record's line (newline included) after <paramref name="prefix"/>; false (nothing written) when it needs the general writer.</summary>
    public static bool TryWrite(PooledBufferWriter buffer, IngestRecord record, EncodedSchema names, ReadOnlySpan<byte> prefix)
    {
        var requestId = record.RequestIdUtf8;
        var arm = record.ArmUtf8;
        var features = record.Features;
        if (record.CategoricalFeatures.Count > 0 || requestId.ContainsAnyExcept(Plain) || arm.ContainsAnyExcept(Plain)
            || features.Length > names.FeatureKeys.Length)
        {
            return false;
        }

        var values = features.Length + record.Outputs.Length;
        var span = buffer.GetSpan(prefix.Length + requestId.Length + arm.Length + names.KeyBytes + (values * MaxNumberBytes) + MaxFixedBytes);
        var n = Copy(span, 0, prefix);
        n = Copy(span, n, ",\"request_id\":\""u8);
        n = Copy(span, n, requestId);
        n = Copy(span, n, "\",\"timestamp\":"u8);
        n = Timestamp(span, n, record.TimestampUnixNanos);
        n = Copy(span, n, ",\"timestamp_unix_nanos\":"u8);
        n = Long(span, n, record.TimestampUnixNanos);
        n = Copy(span, n, ",\"latency_ms\":"u8);
        n = Number(span, n, record.LatencyMs);
        if (arm.Length > 0)
        {
            n = Copy(span, n, ",\"arm\":\""u8);
            n = Copy(span, n, arm);
            span[n++] = (byte)'"';
        }

        n = Copy(span, n, ",\"features\":{"u8);
        for (var i = 0; i < features.Length; i++)
        {
            n = Copy(span, n, names.FeatureKeys[i]);
            n = Number(span, n, features[i], names.FeatureSingle[i]);
        }

        n = Copy(span, n, "},\"outputs\":{"u8);
        n = Outputs(span, n, record, names);
        n = Copy(span, n, "}}\n"u8);
        buffer.Advance(n);
        return true;
    }

    private static int Outputs(Span<byte> span, int n, IngestRecord record, EncodedSchema names)
    {
        var outputs = record.Outputs;
        var offset = 0;
        for (var o = 0; o < names.OutputKeys.Length; o++)
        {
            n = Copy(span, n, names.OutputKeys[o]);
            var size = names.OutputSizes[o];
            var single = names.OutputSingle[o];
            for (var k = 0; k < size; k++)
            {
                if (k > 0)
                {
                    span[n++] = (byte)',';
                }

                n = Number(span, n, outputs[offset + k], single);
            }

            offset += size;
            span[n++] = (byte)']';
        }

        return n;
    }

    private static int Copy(Span<byte> span, int n, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[n..]);
        return n + bytes.Length;
    }

    // As ArchiveJson.WriteValue: Utf8JsonWriter.WriteNumberValue of the float or the double (SingleText and DoubleText:
    // the same bytes, faster); non-finite values as null.
    private static int Number(Span<byte> span, int n, double value, bool single = false)
    {
        if (!double.IsFinite(value))
        {
            return Copy(span, n, "null"u8);
        }

        if (ArchiveJson.IsSingle(value, single))
        {
            return n + SingleText.Write((float)value, span[n..]);
        }

        return n + DoubleText.Write(value, span[n..]);
    }

    private static int Long(Span<byte> span, int n, long value)
    {
        Utf8Formatter.TryFormat(value, span[n..], out var written);
        return n + written;
    }

    // As Utf8JsonWriter writes a UTC DateTime: ISO 8601 ("O") with the fraction's trailing zeros (and a bare '.') trimmed.
    private static int Timestamp(Span<byte> span, int n, long unixNanos)
    {
        var ticks = (unixNanos / 100) + DateTime.UnixEpoch.Ticks;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return Copy(span, n, "null"u8);
        }

        span[n++] = (byte)'"';
        Utf8Formatter.TryFormat(new DateTime(ticks, DateTimeKind.Utc), span[n..], out _, new StandardFormat('O'));

        // "yyyy-MM-ddTHH:mm:ss.fffffffZ": the fraction is at 20..26.
        var end = 27;
        while (end > 20 && span[n + end - 1] == (byte)'0')
        {
            end--;
        }

        if (end == 20)
        {
            end = 19;
        }

        n += end;
        span[n++] = (byte)'Z';
        span[n++] = (byte)'"';
        return n;
    }
}
