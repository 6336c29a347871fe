using System.Globalization;
using System.Text;
using Google.Protobuf;
using Serving.Protocol.PredictionLogs;
using Serving.Protocol.Tensors;
using Serving.Protocol.Wire;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// How one request shape of a model version becomes records: the rows, which values of each
/// tensor belong to a row, and the <see cref="RecordSchema"/> naming them; it writes a row straight
/// into a record's wire bytes. Immutable once built.
/// </summary>
/// <remarks>
/// Features are the row's values of every numeric input, flattened in signature order; BYTES
/// inputs go to the record's categorical features. Values are named after the version's reference
/// profile when it names that many columns, else <c>&lt;input&gt;[i]</c>. Outputs are the row's
/// values of every numeric output in response order.
/// </remarks>
internal sealed class RecordLayout
{
    // PredictionRecord's fields (protos/prediction_log.proto); field 1, the schema index, is the batch's to write.
    private static readonly byte RequestIdTag = ProtoWire.LengthDelimitedTag(PredictionRecord.RequestIdFieldNumber);
    private static readonly byte TimestampTag = ProtoWire.VarintTag(PredictionRecord.TimestampUnixNanosFieldNumber);
    private static readonly byte FeaturesTag = ProtoWire.LengthDelimitedTag(PredictionRecord.FeaturesFieldNumber);
    private static readonly byte OutputsTag = ProtoWire.LengthDelimitedTag(PredictionRecord.OutputsFieldNumber);
    private static readonly byte LatencyTag = ProtoWire.Fixed64Tag(PredictionRecord.LatencyMsFieldNumber);
    private static readonly byte ArmTag = ProtoWire.LengthDelimitedTag(PredictionRecord.ArmFieldNumber);
    private static readonly byte CategoricalTag = ProtoWire.LengthDelimitedTag(PredictionRecord.CategoricalFeaturesFieldNumber);

    private readonly TensorPart[] _inputs;
    private readonly TensorPart[] _outputs;
    private readonly byte[][] _categoricalKeys;
    private readonly int _featureValues;
    private readonly int _outputValues;

    private RecordLayout(bool batched, TensorPart[] inputs, TensorPart[] outputs, RecordSchema schema, string[] categoricalNames)
    {
        Batched = batched;
        _inputs = inputs;
        _outputs = outputs;
        _outputValues = checked((int)outputs.Sum(o => o.PerRow));
        _featureValues = schema.FeatureNames.Count;
        Schema = schema;
        SchemaBytes = schema.ToByteArray();
        _categoricalKeys = [.. categoricalNames.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The schema every record of this layout references; shared, never changed.</summary>
    public RecordSchema Schema { get; }

    /// <summary><see cref="Schema"/> on the wire, written into each batch that carries a record of this layout.</summary>
    public byte[] SchemaBytes { get; }

    /// <summary>True when the first dimension of every tensor is the batch (rows); false for one row per request.</summary>
    public bool Batched { get; }

    public static long RowsOf(bool batched, InferTensor[] inputs) =>
        !batched ? 1 : inputs.Length > 0 && inputs[0].Shape.Length > 0 ? inputs[0].Shape[0] : 0;

    /// <summary>
    /// Builds the layout of a request with <paramref name="rows"/> rows (at least 1). Numeric features take
    /// <paramref name="referenceNames"/> when their count matches, else <c>&lt;input&gt;[i]</c>.
    /// </summary>
    public static RecordLayout Create(
        string model, string version, bool batched, long rows, InferTensor[] inputs, IReadOnlyList<InferTensor> outputs, IReadOnlyList<string>? referenceNames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var inputParts = inputs.Select(t => new TensorPart(t.Name, t.DataType, t.ElementCount / rows)).ToArray();
        var outputParts = outputs
            .Where(t => TensorValues.IsNumeric(t.DataType) && t.ElementCount % rows == 0)
            .Select(t => new TensorPart(t.Name, t.DataType, t.ElementCount / rows))
            .ToArray();
        var (numericNames, categoricalNames) = Names(inputParts, referenceNames);
        var schema = new RecordSchema { Model = model, Version = version };
        schema.FeatureNames.AddRange(numericNames);
        foreach (var output in outputParts)
        {
            schema.OutputNames.Add(output.Name);
            schema.OutputSizes.Add(checked((int)output.PerRow));
        }

        // The archive writes single-precision values in float32's shortest form: flag them (none flagged: no flags).
        var numericInputs = inputParts.Where(p => TensorValues.IsNumeric(p.DataType)).ToArray();
        if (numericInputs.Any(p => TensorValues.IsSinglePrecision(p.DataType)) || outputParts.Any(p => TensorValues.IsSinglePrecision(p.DataType)))
        {
            schema.FeatureSinglePrecision.AddRange(numericInputs.SelectMany(p => Enumerable.Repeat(TensorValues.IsSinglePrecision(p.DataType), checked((int)p.PerRow))));
            schema.OutputSinglePrecision.AddRange(outputParts.Select(p => TensorValues.IsSinglePrecision(p.DataType)));
        }

        return new RecordLayout(batched, inputParts, outputParts, schema, categoricalNames);
    }

    /// <summary>True when a request with these tensors has this layout (same names, datatypes and values per row).</summary>
    public bool Matches(long rows, InferTensor[] inputs, IReadOnlyList<InferTensor> outputs)
    {
        if (inputs.Length != _inputs.Length)
        {
            return false;
        }

        for (var i = 0; i < inputs.Length; i++)
        {
            if (!_inputs[i].Matches(inputs[i], rows))
            {
                return false;
            }
        }

        // Outputs this layout skips (BYTES, not sliceable by row) are skipped again; the rest must line up.
        // Indexed, not foreach: enumerating an IReadOnlyList allocates, and this runs per request.
        var next = 0;
        for (var o = 0; o < outputs.Count; o++)
        {
            var output = outputs[o];
            if (!TensorValues.IsNumeric(output.DataType) || output.ElementCount % rows != 0)
            {
                continue;
            }

            if (next == _outputs.Length || !_outputs[next].Matches(output, rows))
            {
                return false;
            }

            next++;
        }

        return next == _outputs.Length;
    }

    /// <summary>
    /// The size of row <paramref name="row"/>'s <see cref="PredictionRecord"/> on the wire, without its schema index
    /// (which the batch assigns): what <see cref="WriteRecord"/> writes.
    /// </summary>
    public int RecordSize(in PredictionContext prediction, long row, long timestampUnixNanos)
    {
        var size = ProtoWire.StringFieldSize(prediction.RequestId)
            + (timestampUnixNanos != 0 ? 1 + ProtoWire.VarintSize((ulong)timestampUnixNanos) : 0)
            + (_featureValues > 0 ? 1 + ProtoWire.DelimitedSize(_featureValues * sizeof(double)) : 0)
            + (_outputValues > 0 ? 1 + ProtoWire.DelimitedSize(_outputValues * sizeof(double)) : 0)
            + (prediction.LatencyMs != 0 ? 1 + sizeof(double) : 0)
            + ProtoWire.StringFieldSize(prediction.Arm);
        if (_categoricalKeys.Length > 0)
        {
            foreach (var entry in Categorical(prediction.Inputs, row))
            {
                size += 1 + ProtoWire.DelimitedSize(MapEntrySize(entry.Key, entry.Value.Length));
            }
        }

        return size;
    }

    /// <summary>
    /// Writes row <paramref name="row"/> of the prediction as a <see cref="PredictionRecord"/>'s fields 2 to 8 (all but the
    /// schema index), as the generated serializer would; returns the bytes written (<see cref="RecordSize"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A tensor holds fewer values than its shape says.</exception>
    public int WriteRecord(Span<byte> destination, in PredictionContext prediction, long row, long timestampUnixNanos)
    {
        var at = ProtoWire.WriteString(destination, 0, RequestIdTag, prediction.RequestId);
        if (timestampUnixNanos != 0)
        {
            destination[at++] = TimestampTag;
            at = ProtoWire.WriteVarint(destination, at, (ulong)timestampUnixNanos);
        }

        if (_featureValues > 0)
        {
            at = ProtoWire.WriteDelimitedHeader(destination, at, FeaturesTag, _featureValues * sizeof(double));
            for (var i = 0; i < _inputs.Length; i++)
            {
                var part = _inputs[i];
                if (TensorValues.IsNumeric(part.DataType))
                {
                    at += TensorValues.Write(prediction.Inputs[i], row * part.PerRow, part.PerRow, destination[at..]);
                }
            }
        }

        if (_outputValues > 0)
        {
            at = ProtoWire.WriteDelimitedHeader(destination, at, OutputsTag, _outputValues * sizeof(double));
            at = WriteOutputs(destination, at, prediction.Outputs, row);
        }

        if (prediction.LatencyMs != 0)
        {
            destination[at++] = LatencyTag;
            at = ProtoWire.WriteDouble(destination, at, prediction.LatencyMs);
        }

        at = ProtoWire.WriteString(destination, at, ArmTag, prediction.Arm);
        return _categoricalKeys.Length > 0 ? WriteCategorical(destination, at, prediction, row) : at;
    }

    private int WriteOutputs(Span<byte> destination, int at, IReadOnlyList<InferTensor> outputs, long row)
    {
        var next = 0;
        for (var o = 0; o < outputs.Count; o++)
        {
            var output = outputs[o];
            if (next < _outputs.Length && string.Equals(output.Name, _outputs[next].Name, StringComparison.Ordinal))
            {
                at += TensorValues.Write(output, row * _outputs[next].PerRow, _outputs[next].PerRow, destination[at..]);
                next++;
            }
        }

        return at;
    }

    // map<string, string> categorical_features = 8: one entry message per value, { key = 1, value = 2 }.
    private int WriteCategorical(Span<byte> destination, int at, in PredictionContext prediction, long row)
    {
        foreach (var entry in Categorical(prediction.Inputs, row))
        {
            at = ProtoWire.WriteDelimitedHeader(destination, at, CategoricalTag, MapEntrySize(entry.Key, entry.Value.Length));
            at = ProtoWire.WriteBytes(destination, at, ProtoWire.LengthDelimitedTag(1), entry.Key);
            at = ProtoWire.WriteBytes(destination, at, ProtoWire.LengthDelimitedTag(2), entry.Value);
        }

        return at;
    }

    private CategoricalEntries Categorical(InferTensor[] inputs, long row) => new(this, inputs, row);

    private static int MapEntrySize(byte[] key, int valueBytes) => 1 + ProtoWire.DelimitedSize(key.Length) + 1 + ProtoWire.DelimitedSize(valueBytes);

    // The profile lists every input column in signature order: when it names them all (numeric and
    // BYTES), take its names for both; when it names just the numeric ones, for those; else <input>[i].
    private static (string[] Numeric, string[] Categorical) Names(TensorPart[] inputs, IReadOnlyList<string>? referenceNames)
    {
        var numeric = new List<string>();
        var categorical = new List<string>();
        var numericCount = inputs.Where(p => TensorValues.IsNumeric(p.DataType)).Sum(p => p.PerRow);
        var total = inputs.Sum(p => p.PerRow);
        var useAll = referenceNames is not null && referenceNames.Count == total;
        var useNumeric = !useAll && referenceNames is not null && referenceNames.Count == numericCount;
        var next = 0;
        foreach (var part in inputs)
        {
            var isNumeric = TensorValues.IsNumeric(part.DataType);
            var names = useAll || (useNumeric && isNumeric)
                ? referenceNames!.Skip(next).Take(checked((int)part.PerRow))
                : IndexedNames(part.Name, part.PerRow);
            (isNumeric ? numeric : categorical).AddRange(names);
            if (useAll || isNumeric)
            {
                next += checked((int)part.PerRow);
            }
        }

        return ([.. numeric], [.. categorical]);
    }

    private static IEnumerable<string> IndexedNames(string name, long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]");
        }
    }

    /// <summary>A row's categorical value and its key (the value as a protobuf string's bytes).</summary>
    private readonly ref struct CategoricalEntry(byte[] key, ReadOnlySpan<byte> value)
    {
        public byte[] Key { get; } = key;

        public ReadOnlySpan<byte> Value { get; } = value;
    }

    /// <summary>The row's BYTES values with their keys, in signature order: what sizing and writing a record both walk.</summary>
    private ref struct CategoricalEntries(RecordLayout layout, InferTensor[] inputs, long row)
    {
        private int _input = -1;
        private long _element;
        private int _key;

        public CategoricalEntry Current { get; private set; }

        public readonly CategoricalEntries GetEnumerator() => this;

        public bool MoveNext()
        {
            var parts = layout._inputs;
            _element++;
            while (_input < 0 || _element >= parts[_input].PerRow)
            {
                // On to the next BYTES input (numeric ones are features, not categorical); an empty one is skipped.
                do
                {
                    _input++;
                }
                while (_input < parts.Length && TensorValues.IsNumeric(parts[_input].DataType));

                if (_input >= parts.Length)
                {
                    return false;
                }

                _element = 0;
            }

            var part = parts[_input];
            Current = new CategoricalEntry(layout._categoricalKeys[_key++], TensorValues.Utf8(inputs[_input], (row * part.PerRow) + _element));
            return true;
        }
    }
}
