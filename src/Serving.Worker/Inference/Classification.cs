using System.Globalization;
using System.Text;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Worker.Runtime;

namespace Serving.Worker.Inference;

/// <summary>
/// Triton's classification extension: an output asked for with <c>classification: K</c> is answered as a BYTES tensor
/// holding, per batch row, the K largest values as <c>"value:index"</c> strings (<c>"value:index:label"</c> when the
/// output has a labels file with a line for that class), largest first (ties: lower index first). Shape <c>[rows, K]</c>
/// for a batched model, <c>[K]</c> otherwise; K is capped at the classes there are.
/// </summary>
internal static class Classification
{
    /// <summary>True when any requested output asks for classes.</summary>
    public static bool Requested(List<RequestedOutput> outputs)
    {
        foreach (var output in outputs)
        {
            if (output.Classification > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Replaces each output asked for with classes by its top classes.</summary>
    public static void Apply(InferenceResponse response, List<RequestedOutput> requested, ModelSignature signature)
    {
        foreach (var ask in requested)
        {
            if (ask.Classification <= 0)
            {
                continue;
            }

            var index = response.Outputs.FindIndex(o => o.Name == ask.Name);
            if (index < 0)
            {
                continue; // the validator already refused unknown outputs
            }

            var raw = response.Outputs[index];
            var labels = signature.IndexOfOutput(ask.Name) is >= 0 and var o ? signature.Outputs[o].Labels : null;
            response.Outputs[index] = TopClasses(raw, ask.Classification, signature.MaxBatchSize > 0, labels);
            raw.Dispose();
        }
    }

    /// <summary>The top <paramref name="count"/> classes of each row of <paramref name="output"/>.</summary>
    internal static InferTensor TopClasses(InferTensor output, int count, bool batched, string[]? labels = null)
    {
        if (output.DataType is DataType.Bytes or DataType.Unknown)
        {
            throw InferenceException.Invalid($"output '{output.Name}' is {output.DataType.ToWire()}: classification needs a numeric output");
        }

        var total = (int)output.ElementCount;
        var rows = batched && output.Shape.Length > 0 ? (int)output.Shape[0] : 1;
        var classes = rows == 0 ? 0 : total / rows;
        var k = Math.Min(count, classes);
        var values = Values(output);
        var order = new int[classes];
        var elements = new ReadOnlyMemory<byte>[rows * k];
        for (var r = 0; r < rows; r++)
        {
            var offset = r * classes;
            for (var c = 0; c < classes; c++)
            {
                order[c] = c;
            }

            Array.Sort(order, (a, b) => Compare(values[offset + b], values[offset + a]) is var byValue && byValue != 0 ? byValue : a.CompareTo(b));
            for (var i = 0; i < k; i++)
            {
                var c = order[i];
                var text = Format(output, offset + c) + ":" + c.ToString(CultureInfo.InvariantCulture);
                elements[(r * k) + i] = Encoding.UTF8.GetBytes(labels is not null && c < labels.Length ? text + ":" + labels[c] : text);
            }
        }

        return InferTensor.Strings(output.Name, batched ? [rows, k] : [k], elements);
    }

    // NaN ranks below every number.
    private static int Compare(double a, double b) =>
        double.IsNaN(a) ? (double.IsNaN(b) ? 0 : -1) : double.IsNaN(b) ? 1 : a.CompareTo(b);

    private static double[] Values(InferTensor t)
    {
        var n = (int)t.ElementCount;
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = t.DataType switch
            {
                DataType.FP32 => t.As<float>()[i],
                DataType.FP64 => t.As<double>()[i],
                DataType.FP16 => (double)t.As<Half>()[i],
                DataType.BF16 => BitConverter.Int32BitsToSingle(t.As<ushort>()[i] << 16),
                DataType.Int8 => t.As<sbyte>()[i],
                DataType.Int16 => t.As<short>()[i],
                DataType.Int32 => t.As<int>()[i],
                DataType.Int64 => t.As<long>()[i],
                DataType.UInt8 or DataType.Bool => t.As<byte>()[i],
                DataType.UInt16 => t.As<ushort>()[i],
                DataType.UInt32 => t.As<uint>()[i],
                DataType.UInt64 => t.As<ulong>()[i],
                _ => double.NaN,
            };
        }

        return values;
    }

    /// <summary>An element as its own type prints it (shortest round-trip text for floats, exact integers).</summary>
    private static string Format(InferTensor t, int i) => t.DataType switch
    {
        DataType.FP32 => t.As<float>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.FP64 => t.As<double>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.FP16 => ((float)t.As<Half>()[i]).ToString(CultureInfo.InvariantCulture),
        DataType.BF16 => BitConverter.Int32BitsToSingle(t.As<ushort>()[i] << 16).ToString(CultureInfo.InvariantCulture),
        DataType.Int8 => t.As<sbyte>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.Int16 => t.As<short>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.Int32 => t.As<int>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.Int64 => t.As<long>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.Bool => t.As<byte>()[i] != 0 ? "1" : "0",
        DataType.UInt8 => t.As<byte>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.UInt16 => t.As<ushort>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.UInt32 => t.As<uint>()[i].ToString(CultureInfo.InvariantCulture),
        _ => t.As<ulong>()[i].ToString(CultureInfo.InvariantCulture),
    };
}
