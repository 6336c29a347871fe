using Microsoft.ML.OnnxRuntime;
using Serving.Protocol.Tensors;
using Serving.Worker.Models;

namespace Serving.Worker.Runtime;

/// <summary>
/// Builds a version's signature from <c>model.yaml</c>, checked against the ONNX graph's own
/// metadata; a mismatch is a load error that names the field.
/// </summary>
internal static class SignatureBuilder
{
    public static ModelSignature Build(string model, long version, ModelConfig config, InferenceSession session)
    {
        var where = $"model '{model}' version {version}";
        var inputs = Side(where, "inputs", config.Inputs, session.InputMetadata, session.InputNames, requireAll: true);
        var outputs = Side(where, "outputs", config.Outputs, session.OutputMetadata, session.OutputNames, requireAll: false);
        if (config.MaxBatchSize > 0)
        {
            foreach (var t in inputs.Concat(outputs))
            {
                if (t.Shape.Length == 0 || t.Shape[0] != -1)
                {
                    throw new ModelConfigException($"{where}: max_batch_size is {config.MaxBatchSize} but '{t.Name}' has no variable first (batch) dimension in the ONNX graph");
                }
            }
        }

        return new ModelSignature(inputs, outputs, config.MaxBatchSize);
    }

    private static TensorSignature[] Side(
        string where, string field, List<TensorConfig>? configured, IReadOnlyDictionary<string, NodeMetadata> graph, IReadOnlyList<string> graphOrder, bool requireAll)
    {
        if (configured is null)
        {
            return graphOrder.Select(name => FromGraph(where, name, graph[name])).ToArray();
        }

        var result = new TensorSignature[configured.Count];
        for (var i = 0; i < configured.Count; i++)
        {
            var c = configured[i];
            if (!graph.TryGetValue(c.Name!, out var meta))
            {
                throw new ModelConfigException($"{where}: {field}[{i}] '{c.Name}' in model.yaml is not in the ONNX graph ({field}: {string.Join(", ", graphOrder)})");
            }

            var fromGraph = FromGraph(where, c.Name!, meta);
            DataTypes.TryParse(c.Datatype, out var type);
            if (type != fromGraph.DataType)
            {
                throw new ModelConfigException($"{where}: {field}[{i}] '{c.Name}' is {c.Datatype} in model.yaml but {fromGraph.DataType.ToWire()} in the ONNX graph");
            }

            var shape = c.Shape!.ToArray();
            if (shape.Length != fromGraph.Shape.Length)
            {
                throw new ModelConfigException($"{where}: {field}[{i}] '{c.Name}' has shape {Shapes.Format(shape)} in model.yaml but rank {fromGraph.Shape.Length} {Shapes.Format(fromGraph.Shape)} in the ONNX graph");
            }

            for (var d = 0; d < shape.Length; d++)
            {
                if (fromGraph.Shape[d] != -1 && shape[d] != fromGraph.Shape[d])
                {
                    throw new ModelConfigException($"{where}: {field}[{i}] '{c.Name}' dimension {d} is {shape[d]} in model.yaml but {fromGraph.Shape[d]} in the ONNX graph");
                }
            }

            result[i] = new TensorSignature(c.Name!, type, shape, c.Labels);
        }

        if (requireAll && result.Length != graph.Count)
        {
            var missing = graphOrder.Where(n => Array.FindIndex(result, r => r.Name == n) < 0);
            throw new ModelConfigException($"{where}: model.yaml lists {result.Length} {field} but the ONNX graph needs {graph.Count} (missing: {string.Join(", ", missing)})");
        }

        return result;
    }

    private static TensorSignature FromGraph(string where, string name, NodeMetadata meta)
    {
        var type = meta.IsTensor ? OrtTypes.ToDataType(meta.ElementDataType) : DataType.Unknown;
        if (type == DataType.Unknown)
        {
            throw new ModelConfigException($"{where}: '{name}' is a {meta.OnnxValueType} in the ONNX graph; only tensors of protocol datatypes are served");
        }

        return new TensorSignature(name, type, meta.Dimensions.Select(d => d < 0 ? -1L : d).ToArray());
    }
}
