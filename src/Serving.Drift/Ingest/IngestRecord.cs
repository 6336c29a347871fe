using System.Text;

namespace Serving.Drift.Ingest;

/// <summary>
/// One <c>PredictionRecord</c> of an <see cref="IngestBatch"/>, read in place: its strings are the bytes received, its
/// values live in the batch's pooled array. Valid until the batch goes back to its pool; nothing keeps one past that.
/// </summary>
internal sealed class IngestRecord
{
    private static readonly KeyValuePair<string, string>[] NoLabels = [];

    private readonly IngestBatch _batch;
    private (int Start, int Length) _requestId;
    private (int Start, int Length) _arm;
    private (int Start, int Length) _features;
    private (int Start, int Length) _outputs;

    // Only records that carry categorical features (field 8) allocate these: the labels in order, and where each name is.
    private List<KeyValuePair<string, string>>? _labels;
    private Dictionary<string, int>? _labelIndex;

    internal IngestRecord(IngestBatch batch) => _batch = batch;

    /// <summary>Index into the batch's schemas (field 1; not checked here: <see cref="BatchValidator"/> does).</summary>
    public int Schema { get; private set; }

    /// <summary>Field 3.</summary>
    public long TimestampUnixNanos { get; private set; }

    /// <summary>Field 6.</summary>
    public double LatencyMs { get; private set; }

    /// <summary>The request id's bytes as received (field 2; valid UTF-8, or the batch was refused).</summary>
    public ReadOnlySpan<byte> RequestIdUtf8 => _batch.Payload.AsSpan(_requestId.Start, _requestId.Length);

    /// <summary>The request id as text.</summary>
    public string RequestId => Encoding.UTF8.GetString(RequestIdUtf8);

    /// <summary>The traffic arm's bytes as received (field 7).</summary>
    public ReadOnlySpan<byte> ArmUtf8 => _batch.Payload.AsSpan(_arm.Start, _arm.Length);

    /// <summary>The traffic arm as text (empty when the worker was called directly).</summary>
    public string Arm => Encoding.UTF8.GetString(ArmUtf8);

    /// <summary>The numeric features (field 4), in schema order.</summary>
    public ReadOnlySpan<double> Features => _batch.Values.AsSpan(_features.Start, _features.Length);

    /// <summary>The outputs (field 5), concatenated in schema order.</summary>
    public ReadOnlySpan<double> Outputs => _batch.Values.AsSpan(_outputs.Start, _outputs.Length);

    /// <summary>The categorical features (field 8) in the order first received; a repeated name keeps its last label.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CategoricalFeatures => _labels is null ? NoLabels : _labels;

    /// <summary>The label of categorical feature <paramref name="name"/>, if the record has it.</summary>
    public bool TryGetLabel(string name, out string label)
    {
        if (_labelIndex is not null && _labelIndex.TryGetValue(name, out var index))
        {
            label = _labels![index].Value;
            return true;
        }

        label = string.Empty;
        return false;
    }

    /// <summary>
    /// Reads the record at <paramref name="start"/>..<paramref name="end"/> of the batch's payload. Features go straight
    /// into the batch's values; outputs into <paramref name="outputs"/> first (the two may interleave on the wire),
    /// then after the features.
    /// </summary>
    internal void Read(int start, int end, List<double> outputs)
    {
        Schema = 0;
        TimestampUnixNanos = 0;
        LatencyMs = 0;
        _requestId = _arm = default;
        _labels?.Clear();
        _labelIndex?.Clear();
        outputs.Clear();
        var featuresStart = _batch.ValueCount;
        var reader = new WireReader(_batch.Payload, start, end, depth: 1);
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch ((field, wireType))
            {
                case (1, WireReader.Varint):
                    Schema = (int)reader.ReadVarint();
                    break;
                case (2, WireReader.Delimited):
                    _requestId = reader.ReadText();
                    break;
                case (3, WireReader.Varint):
                    TimestampUnixNanos = (long)reader.ReadVarint();
                    break;
                case (4, WireReader.Delimited):
                    _batch.AddPacked(reader.ReadPacked());
                    break;
                case (4, WireReader.Fixed64):
                    _batch.AddValue(reader.ReadDouble());
                    break;
                case (5, WireReader.Delimited):
                    AddPacked(outputs, reader.ReadPacked());
                    break;
                case (5, WireReader.Fixed64):
                    outputs.Add(reader.ReadDouble());
                    break;
                case (6, WireReader.Fixed64):
                    LatencyMs = reader.ReadDouble();
                    break;
                case (7, WireReader.Delimited):
                    _arm = reader.ReadText();
                    break;
                case (8, WireReader.Delimited):
                    AddLabel(reader.ReadDelimited());
                    break;
                default:
                    reader.Skip(field, wireType);
                    break;
            }
        }

        _features = (featuresStart, _batch.ValueCount - featuresStart);
        _outputs = (_batch.ValueCount, outputs.Count);
        foreach (var value in outputs)
        {
            _batch.AddValue(value);
        }
    }

    private void AddPacked(List<double> values, (int Start, int Length) bytes)
    {
        var reader = new WireReader(_batch.Payload, bytes.Start, bytes.Start + bytes.Length);
        for (var i = 0; i < bytes.Length; i += 8)
        {
            values.Add(reader.ReadDouble());
        }
    }

    // A map entry: key = 1, value = 2 (both strings, empty when absent); a repeated key replaces the label in place.
    private void AddLabel((int Start, int Length) entry)
    {
        var payload = _batch.Payload;
        var key = string.Empty;
        var value = string.Empty;
        var reader = new WireReader(payload, entry.Start, entry.Start + entry.Length, depth: 2);
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch ((field, wireType))
            {
                case (1, WireReader.Delimited):
                    var k = reader.ReadText();
                    key = Encoding.UTF8.GetString(payload, k.Start, k.Length);
                    break;
                case (2, WireReader.Delimited):
                    var v = reader.ReadText();
                    value = Encoding.UTF8.GetString(payload, v.Start, v.Length);
                    break;
                default:
                    reader.SkipInMapEntry(field, wireType);
                    break;
            }
        }

        _labels ??= [];
        _labelIndex ??= new(StringComparer.Ordinal);
        if (_labelIndex.TryGetValue(key, out var index))
        {
            _labels[index] = new(key, value);
            return;
        }

        _labelIndex.Add(key, _labels.Count);
        _labels.Add(new(key, value));
    }
}
