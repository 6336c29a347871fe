using Microsoft.ML.OnnxRuntime.Tensors;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Baselines;

/// <summary>ONNX element types in protocol terms.</summary>
internal static class OrtTypes
{
    /// <summary>The protocol datatype of an ONNX element type, or Unknown.</summary>
    public static DataType ToDataType(TensorElementType type) => type switch
    {
        TensorElementType.Float => DataType.FP32,
        TensorElementType.Double => DataType.FP64,
        TensorElementType.Float16 => DataType.FP16,
        TensorElementType.BFloat16 => DataType.BF16,
        TensorElementType.Int8 => DataType.Int8,
        TensorElementType.Int16 => DataType.Int16,
        TensorElementType.Int32 => DataType.Int32,
        TensorElementType.Int64 => DataType.Int64,
        TensorElementType.UInt8 => DataType.UInt8,
        TensorElementType.UInt16 => DataType.UInt16,
        TensorElementType.UInt32 => DataType.UInt32,
        TensorElementType.UInt64 => DataType.UInt64,
        TensorElementType.Bool => DataType.Bool,
        TensorElementType.String => DataType.Bytes,
        _ => DataType.Unknown,
    };
}
