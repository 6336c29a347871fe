using Serving.Protocol.Tensors;

namespace Serving.Worker.PredictionLogs;

/// <summary>One input or output as a record sees it: its name, datatype and values per row.</summary>
internal readonly record struct TensorPart(string Name, DataType DataType, long PerRow)
{
    public bool Matches(InferTensor tensor, long rows) =>
        tensor.DataType == DataType && tensor.ElementCount == PerRow * rows && string.Equals(tensor.Name, Name, StringComparison.Ordinal);
}
