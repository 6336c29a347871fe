using System.Globalization;
using System.Text.RegularExpressions;
using Serving.Drift.Ingest;
using Serving.Drift.Profiles;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Monitoring;

/// <summary>
/// Maps the values of records with one <see cref="RecordSchema"/> onto a reference profile's columns:
/// which record value feeds each profile feature, and how the prediction is read from the outputs.
/// </summary>
/// <remarks>
/// <para>
/// Features are matched by name (extra record features are ignored). When some name is missing but
/// the record has exactly as many features as the profile, they are matched by position (a worker
/// without the profile names its features <c>&lt;input&gt;[i]</c>). Otherwise the schema doesn't fit.
/// A categorical profile feature takes the record's categorical feature of that name, or a numeric
/// feature of that name read as a label (<c>3.0</c> is label <c>"3"</c>).
/// </para>
/// <para>
/// The prediction: a profile named <c>&lt;output&gt;[i]</c> reads value i of that output (or the output
/// itself when it has one value per row). A categorical prediction otherwise takes the arg-max
/// index of the first output as its label, which is how a classifier's probabilities become its
/// class; a row whose output holds a NaN has no arg-max, and its prediction is missing (NaN), like a
/// NaN numeric prediction. When neither applies the prediction is missing and only the features are scored.
/// </para>
/// </remarks>
internal sealed partial class RecordProjection
{
    private readonly Column[] _features;
    private readonly Prediction _prediction;

    private RecordProjection(Column[] features, Prediction prediction)
    {
        _features = features;
        _prediction = prediction;
    }

    /// <summary>False when the schema can't supply the prediction, which is then NaN.</summary>
    public bool HasPrediction => _prediction.Kind != SourceKind.None;

    /// <summary>Maps <paramref name="schema"/> onto <paramref name="profile"/>; null with the reason when its features don't fit.</summary>
    public static RecordProjection? Create(ReferenceProfile profile, RecordSchema schema, out string? error)
    {
        var features = ByName(profile, schema) ?? ByPosition(profile, schema);
        if (features is null)
        {
            var missing = profile.Features.First(f => f.Kind == FeatureKind.Numeric && !schema.FeatureNames.Contains(f.Name)).Name;
            error = string.Create(
                CultureInfo.InvariantCulture,
                $"{profile.Model}/{profile.Version} expects {profile.Features.Count} features (its reference profile), but the record schema names {schema.FeatureNames.Count} and lacks '{missing}'");
            return null;
        }

        error = null;
        return new RecordProjection(features, PredictionOf(profile.Prediction, schema));
    }

    /// <summary>Writes the record's value of every profile feature into <paramref name="features"/> and returns the prediction.</summary>
    public double Project(IngestRecord record, Span<double> features)
    {
        for (var i = 0; i < _features.Length; i++)
        {
            features[i] = _features[i].Read(record);
        }

        return _prediction.Read(record);
    }

    private static Column[]? ByName(ReferenceProfile profile, RecordSchema schema)
    {
        var columns = new Column[profile.Features.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var feature = profile.Features[i];
            var index = schema.FeatureNames.IndexOf(feature.Name);
            columns[i] = (feature, index) switch
            {
                (NumericFeatureProfile, >= 0) => new Column(SourceKind.Value, index, null, null),
                (NumericFeatureProfile, _) => default,
                (CategoricalFeatureProfile categories, >= 0) => new Column(SourceKind.ValueAsLabel, index, null, categories),
                (CategoricalFeatureProfile categories, _) => new Column(SourceKind.Label, -1, feature.Name, categories),
                _ => default,
            };
            if (columns[i].Kind == SourceKind.None)
            {
                return null;
            }
        }

        return columns;
    }

    private static Column[]? ByPosition(ReferenceProfile profile, RecordSchema schema) =>
        schema.FeatureNames.Count != profile.Features.Count
            ? null
            : profile.Features.Select((f, i) => f is CategoricalFeatureProfile categories
                ? new Column(SourceKind.ValueAsLabel, i, null, categories)
                : new Column(SourceKind.Value, i, null, null)).ToArray();

    private static Prediction PredictionOf(FeatureProfile profile, RecordSchema schema)
    {
        var categories = profile as CategoricalFeatureProfile;
        var match = IndexedName().Match(profile.Name);
        var (output, element) = match.Success
            ? (match.Groups[1].Value, int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture))
            : (profile.Name, 0);
        var offset = 0;
        for (var o = 0; o < schema.OutputNames.Count; o++)
        {
            var size = schema.OutputSizes[o];
            if (schema.OutputNames[o] == output && element < size && (match.Success || size == 1))
            {
                return new Prediction(categories is null ? SourceKind.Value : SourceKind.ValueAsLabel, offset + element, 1, categories, null);
            }

            offset += size;
        }

        return categories is not null && schema.OutputSizes.Count > 0 && schema.OutputSizes[0] > 1
            ? new Prediction(SourceKind.ArgMax, 0, schema.OutputSizes[0], categories, ClassCodes(categories, schema.OutputSizes[0]))
            : default;
    }

    // The category code of each arg-max index, looked up once per schema rather than per record.
    private static double[] ClassCodes(CategoricalFeatureProfile categories, int size)
    {
        var codes = new double[size];
        for (var k = 0; k < size; k++)
        {
            codes[k] = categories.CodeOf(k.ToString(CultureInfo.InvariantCulture));
        }

        return codes;
    }

    private static double LabelCode(CategoricalFeatureProfile categories, double value)
    {
        if (double.IsNaN(value))
        {
            return double.NaN;
        }

        var label = value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? ((long)value).ToString(CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        return categories.CodeOf(label);
    }

    [GeneratedRegex(@"^(.+)\[(\d{1,9})\]\z", RegexOptions.CultureInvariant)]
    private static partial Regex IndexedName();

    private enum SourceKind
    {
        None,
        Value,
        ValueAsLabel,
        Label,
        ArgMax,
    }

    private readonly record struct Column(SourceKind Kind, int Index, string? Name, CategoricalFeatureProfile? Categories)
    {
        public double Read(IngestRecord record) => Kind switch
        {
            SourceKind.Value => record.Features[Index],
            SourceKind.ValueAsLabel => LabelCode(Categories!, record.Features[Index]),
            SourceKind.Label => record.TryGetLabel(Name!, out var label) ? Categories!.CodeOf(label) : double.NaN,
            _ => double.NaN,
        };
    }

    private readonly record struct Prediction(SourceKind Kind, int Offset, int Size, CategoricalFeatureProfile? Categories, double[]? ClassCodes)
    {
        public double Read(IngestRecord record) => Kind switch
        {
            SourceKind.Value => record.Outputs[Offset],
            SourceKind.ValueAsLabel => LabelCode(Categories!, record.Outputs[Offset]),
            SourceKind.ArgMax => ArgMax(record, Offset, Size) is var best and >= 0 ? ClassCodes![best] : double.NaN,
            _ => double.NaN,
        };

        // -1 when any value is NaN: the class is undefined (x > NaN is false, so NaN would otherwise pass as class 0).
        // Ties go to the lowest index, as numpy.argmax and torch.argmax do.
        private static int ArgMax(IngestRecord record, int offset, int size)
        {
            var outputs = record.Outputs.Slice(offset, size);
            var best = 0;
            for (var k = 0; k < outputs.Length; k++)
            {
                if (double.IsNaN(outputs[k]))
                {
                    return -1;
                }

                if (outputs[k] > outputs[best])
                {
                    best = k;
                }
            }

            return best;
        }
    }
}
