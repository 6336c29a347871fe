using System.Globalization;
using Serving.Protocol.PredictionLogs;
using Serving.Protocol.Tensors;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// How one request shape of a model version becomes records: the rows, which values of each
/// tensor belong to a row, and the <see cref="RecordSchema"/> naming them. Immutable once built.
/// </summary>
/// <remarks>
/// Features are the row's values of every numeric input, flattened in signature order; BYTES
/// inputs go to the record's categorical features. Values are named after the version's reference
/// profile when it names that many columns, else <c>&lt;input&gt;[i]</c>. Outputs are the row's
/// values of every numeric output in response order.
/// </remarks>
internal sealed class RecordLayout
{
    private readonly TensorPart[] _inputs;
    private readonly TensorPart[] _outputs;
    private readonly string[] _categoricalNames;
    private readonly int _outputValues;

    private RecordLayout(bool batched, TensorPart[] inputs, TensorPart[] outputs, RecordSchema schema, string[] categoricalNames)
    {
        Batched = batched;
        _inputs = inputs;
        _outputs = outputs;
        _outputValues = checked((int)outputs.Sum(o => o.PerRow));
        Schema = schema;
        _categoricalNames = categoricalNames;
    }

    /// <summary>The schema every record of this layout references; shared, never changed.</summary>
    public RecordSchema Schema { get; }

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
        var next = 0;
        foreach (var output in outputs)
        {
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

    /// <summary>Copies row <paramref name="row"/> of the prediction into a new record.</summary>
    public PredictionRecord BuildRecord(in PredictionContext prediction, long row, long timestampUnixNanos)
    {
        var record = new PredictionRecord
        {
            RequestId = prediction.RequestId ?? string.Empty,
            TimestampUnixNanos = timestampUnixNanos,
            LatencyMs = prediction.LatencyMs,
            Arm = prediction.Arm ?? string.Empty,
        };
        record.Features.Capacity = Schema.FeatureNames.Count;
        record.Outputs.Capacity = _outputValues;
        var categorical = 0;
        for (var i = 0; i < _inputs.Length; i++)
        {
            var part = _inputs[i];
            if (TensorValues.IsNumeric(part.DataType))
            {
                TensorValues.Append(prediction.Inputs[i], row * part.PerRow, part.PerRow, record.Features);
                continue;
            }

            for (long e = 0; e < part.PerRow; e++)
            {
                record.CategoricalFeatures[_categoricalNames[categorical++]] = TensorValues.Text(prediction.Inputs[i], (row * part.PerRow) + e);
            }
        }

        AppendOutputs(prediction.Outputs, row, record);
        return record;
    }

    private void AppendOutputs(IReadOnlyList<InferTensor> outputs, long row, PredictionRecord record)
    {
        var next = 0;
        foreach (var output in outputs)
        {
            if (next < _outputs.Length && string.Equals(output.Name, _outputs[next].Name, StringComparison.Ordinal))
            {
                TensorValues.Append(output, row * _outputs[next].PerRow, _outputs[next].PerRow, record.Outputs);
                next++;
            }
        }
    }

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
}
