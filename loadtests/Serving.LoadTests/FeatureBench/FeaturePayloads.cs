using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Serving.Protocol.Tensors;
using Serving.LoadTests.Payloads;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// One single-row request per entity in each form: its id (the worker looks the features up), or the same
/// entity's values as the target input (inline). Index i of both lists is the same entity.
/// </summary>
internal static class FeaturePayloads
{
    /// <summary>Entity form: the entity input, INT64 when the id is an integer, else BYTES; shape [1].</summary>
    public static IReadOnlyList<InferPayload> Entity(string model, FeatureSpec spec, FeatureTable table) =>
        table.Entities.Select(e => new InferPayload(model, string.Empty, [EntityTensor(spec.EntityInput, e.Id)])).ToList();

    /// <summary>Inline form: the target input, shape [1, fields], in <paramref name="dataType"/> (FP32 or FP64).</summary>
    public static IReadOnlyList<InferPayload> Inline(string model, FeatureSpec spec, FeatureTable table, DataType dataType) =>
        table.Entities.Select(e => new InferPayload(model, string.Empty, [InlineTensor(spec.TargetInput, e.Values, dataType)])).ToList();

    private static InferTensor EntityTensor(string name, string id) =>
        long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? InferTensor.Fixed(name, DataType.Int64, [1], BitConverter.GetBytes(number))
            : InferTensor.Strings(name, [1], [Encoding.UTF8.GetBytes(id)]);

    private static InferTensor InlineTensor(string name, double[] values, DataType dataType)
    {
        byte[] bytes = dataType switch
        {
            DataType.FP32 => MemoryMarshal.AsBytes(values.Select(v => (float)v).ToArray().AsSpan()).ToArray(),
            DataType.FP64 => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
            _ => throw new LoadTestException($"the target input '{name}' is {dataType.ToWire()}; a feature lookup fills FP32 or FP64 only"),
        };
        return InferTensor.Fixed(name, dataType, [1, values.Length], bytes);
    }
}
