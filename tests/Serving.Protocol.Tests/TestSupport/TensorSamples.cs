using System.Runtime.InteropServices;
using System.Text;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Tests.TestSupport;

/// <summary>Tensors holding the boundary values of each datatype, and small builders.</summary>
internal static class TensorSamples
{
    public static readonly DataType[] AllDataTypes =
    [
        DataType.Bool, DataType.UInt8, DataType.UInt16, DataType.UInt32, DataType.UInt64,
        DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64,
        DataType.FP16, DataType.BF16, DataType.FP32, DataType.FP64, DataType.Bytes,
    ];

    /// <summary>Every datatype.</summary>
    public static TheoryData<DataType> All => new(AllDataTypes);

    /// <summary>The datatypes that have a typed contents field (all but FP16 and BF16).</summary>
    public static TheoryData<DataType> Typed => new(AllDataTypes.Where(t => t is not (DataType.FP16 or DataType.BF16)));

    /// <summary>The strings of the BYTES sample: empty, ASCII, Latin, CJK, a surrogate pair, JSON metacharacters, NUL.</summary>
    public static readonly string[] BoundaryStrings = ["", "hello", "héllo wörld", "日本語", "🙂", "a\"b\\c\n", "nul\0end"];

    /// <summary>bfloat16 bit patterns: lowest, max, smallest subnormal, -0, NaN, +inf, -inf, 1.5.</summary>
    public static readonly ushort[] BoundaryBFloat16 = [0xFF7F, 0x7F7F, 0x0001, 0x8000, 0x7FC0, 0x7F80, 0xFF80, 0x3FC0];

    /// <summary>A tensor named <paramref name="name"/> holding the boundary values of <paramref name="type"/>.</summary>
    public static InferTensor Boundary(DataType type, string name = "x") => type switch
    {
        DataType.Bool => Fixed(name, type, [2, 2], new byte[] { 1, 0, 0, 1 }),
        DataType.UInt8 => Fixed(name, type, [1, 5], new byte[] { 0, 1, 127, 128, byte.MaxValue }),
        DataType.UInt16 => Fixed(name, type, [1, 5], new ushort[] { 0, 1, 32767, 32768, ushort.MaxValue }),
        DataType.UInt32 => Fixed(name, type, [1, 5], new uint[] { 0, 1, int.MaxValue, 1u << 31, uint.MaxValue }),
        DataType.UInt64 => Fixed(name, type, [1, 5], new ulong[] { 0, 1, long.MaxValue, 1ul << 63, ulong.MaxValue }),
        DataType.Int8 => Fixed(name, type, [1, 5], new sbyte[] { sbyte.MinValue, -1, 0, 1, sbyte.MaxValue }),
        DataType.Int16 => Fixed(name, type, [1, 5], new short[] { short.MinValue, -1, 0, 1, short.MaxValue }),
        DataType.Int32 => Fixed(name, type, [1, 5], new[] { int.MinValue, -1, 0, 1, int.MaxValue }),
        DataType.Int64 => Fixed(name, type, [1, 5], new[] { long.MinValue, -1L, 0L, 1L, long.MaxValue }),
        DataType.FP16 => Fixed(name, type, [2, 4], new[]
        {
            Half.MinValue, Half.MaxValue, Half.Epsilon, Half.NegativeZero,
            Half.NaN, Half.PositiveInfinity, Half.NegativeInfinity, (Half)1.5f,
        }),
        DataType.BF16 => Fixed(name, type, [2, 4], BoundaryBFloat16),
        DataType.FP32 => Fixed(name, type, [2, 4], new[]
        {
            float.MinValue, float.MaxValue, float.Epsilon, -0.0f,
            float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0.1f,
        }),
        DataType.FP64 => Fixed(name, type, [2, 4], new[]
        {
            double.MinValue, double.MaxValue, double.Epsilon, -0.0,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.1,
        }),
        DataType.Bytes => Strings(name, [1, BoundaryStrings.Length], BoundaryStrings),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>A fixed-size tensor over a copy of <paramref name="values"/>.</summary>
    public static InferTensor Fixed<T>(string name, DataType type, long[] shape, T[] values)
        where T : unmanaged => InferTensor.Fixed(name, type, shape, LittleEndian(values));

    /// <summary>A BYTES tensor of UTF-8 strings.</summary>
    public static InferTensor Strings(string name, long[] shape, params string[] values) =>
        InferTensor.Strings(name, shape, values.Select(v => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(v)).ToArray());

    /// <summary>The little-endian bytes of <paramref name="values"/> (the test host is little-endian, as the protocol is).</summary>
    public static byte[] LittleEndian<T>(params T[] values)
        where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>The raw BYTES form written by hand: a 4-byte little-endian length, then the bytes, per element.</summary>
    public static byte[] RawStrings(params string[] values)
    {
        var bytes = new List<byte>();
        foreach (var value in values)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            bytes.AddRange(BitConverter.GetBytes(utf8.Length));
            bytes.AddRange(utf8);
        }

        return [.. bytes];
    }
}
