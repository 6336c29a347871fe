using Serving.Protocol.Tensors;

namespace Serving.Worker.Runtime;

/// <summary>One input or output as served: name, datatype and full shape (-1 = variable).</summary>
internal sealed record TensorSignature(string Name, DataType DataType, long[] Shape, string[]? Labels = null);
