namespace Serving.Protocol.Tensors;

/// <summary>The Open Inference Protocol tensor datatypes.</summary>
public enum DataType : byte
{
    /// <summary>Not a known datatype.</summary>
    Unknown = 0,
    /// <summary>BOOL, one byte per element.</summary>
    Bool,
    /// <summary>UINT8.</summary>
    UInt8,
    /// <summary>UINT16.</summary>
    UInt16,
    /// <summary>UINT32.</summary>
    UInt32,
    /// <summary>UINT64.</summary>
    UInt64,
    /// <summary>INT8.</summary>
    Int8,
    /// <summary>INT16.</summary>
    Int16,
    /// <summary>INT32.</summary>
    Int32,
    /// <summary>INT64.</summary>
    Int64,
    /// <summary>FP16 (IEEE half).</summary>
    FP16,
    /// <summary>BF16 (bfloat16).</summary>
    BF16,
    /// <summary>FP32.</summary>
    FP32,
    /// <summary>FP64.</summary>
    FP64,
    /// <summary>BYTES: variable-length byte strings.</summary>
    Bytes,
}
