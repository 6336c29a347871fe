namespace Serving.Protocol.Tensors;

/// <summary>Wire names and element sizes of <see cref="DataType"/>.</summary>
public static class DataTypes
{
    private static readonly string[] WireNames =
    [
        "", "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
        "FP16", "BF16", "FP32", "FP64", "BYTES",
    ];

    /// <summary>The protocol's name for <paramref name="type"/>, e.g. <c>FP32</c>.</summary>
    public static string ToWire(this DataType type) => WireNames[(int)type];

    /// <summary>Parses a protocol datatype name (case-sensitive, as the protocol spells it).</summary>
    public static bool TryParse(string? name, out DataType type)
    {
        type = name switch
        {
            "BOOL" => DataType.Bool,
            "UINT8" => DataType.UInt8,
            "UINT16" => DataType.UInt16,
            "UINT32" => DataType.UInt32,
            "UINT64" => DataType.UInt64,
            "INT8" => DataType.Int8,
            "INT16" => DataType.Int16,
            "INT32" => DataType.Int32,
            "INT64" => DataType.Int64,
            "FP16" => DataType.FP16,
            "BF16" => DataType.BF16,
            "FP32" => DataType.FP32,
            "FP64" => DataType.FP64,
            "BYTES" => DataType.Bytes,
            _ => DataType.Unknown,
        };
        return type != DataType.Unknown;
    }

    /// <summary>Bytes per element, or 0 for <see cref="DataType.Bytes"/>.</summary>
    public static int ElementSize(this DataType type) => type switch
    {
        DataType.Bool or DataType.UInt8 or DataType.Int8 => 1,
        DataType.UInt16 or DataType.Int16 or DataType.FP16 or DataType.BF16 => 2,
        DataType.UInt32 or DataType.Int32 or DataType.FP32 => 4,
        DataType.UInt64 or DataType.Int64 or DataType.FP64 => 8,
        _ => 0,
    };
}
