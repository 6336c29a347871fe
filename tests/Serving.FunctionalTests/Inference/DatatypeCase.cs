using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Serving.Protocol.Inference;

namespace Serving.FunctionalTests.Inference;

/// <summary>A [2, 3] tensor of one datatype, with its values written out by hand for every form.</summary>
public sealed record DatatypeCase(string Model, string Wire, Array Values)
{
    public static readonly DatatypeCase[] All =
    [
        new("identity_bool", "BOOL", new[] { true, false, true, true, false, false }),
        new("identity_int8", "INT8", new sbyte[] { sbyte.MinValue, -1, 0, 1, sbyte.MaxValue, 5 }),
        new("identity_int16", "INT16", new short[] { short.MinValue, -1, 0, 1, short.MaxValue, 300 }),
        new("identity_int32", "INT32", new[] { int.MinValue, -1, 0, 1, int.MaxValue, 70000 }),
        new("identity_int64", "INT64", new[] { long.MinValue, -1, 0, 1, long.MaxValue, 1L << 40 }),
        new("identity_uint8", "UINT8", new byte[] { 0, 1, 2, 128, byte.MaxValue, 7 }),
        new("identity_uint16", "UINT16", new ushort[] { 0, 1, 2, 40000, ushort.MaxValue, 7 }),
        new("identity_uint32", "UINT32", new uint[] { 0, 1, 2, 3_000_000_000, uint.MaxValue, 7 }),
        new("identity_uint64", "UINT64", new ulong[] { 0, 1, 2, 1UL << 63, ulong.MaxValue, 7 }),
        new("identity_fp16", "FP16", new[] { (Half)0.5, (Half)(-2), (Half)0, (Half)65504, (Half)0.25, (Half)1.5 }),
        new("identity_fp32", "FP32", new[] { -1.5f, 0f, 3.25f, 1e30f, -1e-30f, 7f }),
        new("identity_fp64", "FP64", new[] { -1.5, 0, Math.PI, 1e300, -1e-300, 7 }),
        new("identity_bytes", "BYTES", new[] { "a", "", "héllo", "x y", "\u0001z", "last" }),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All)
        {
            data.Add(c.Wire);
        }

        return data;
    }

    public static DatatypeCase Get(string wire) => All.Single(c => c.Wire == wire);

    public long[] Shape => [2, 3];

    /// <summary>The protocol's raw form, built by hand.</summary>
    public byte[] Raw() => Values switch
    {
        bool[] b => b.Select(x => x ? (byte)1 : (byte)0).ToArray(),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        byte[] a => a.ToArray(),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        string[] s => s.SelectMany(x =>
        {
            var bytes = Encoding.UTF8.GetBytes(x);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, bytes.Length);
            return prefix.Concat(bytes);
        }).ToArray(),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The typed gRPC contents, or null where the protocol allows only raw (FP16).</summary>
    public InferTensorContents? Typed()
    {
        // Switch on the wire name: the CLR lets byte[] match an sbyte[] pattern (and uint[] an int[] one).
        var c = new InferTensorContents();
        switch (Wire)
        {
            case "BOOL": c.BoolContents.AddRange((bool[])Values); break;
            case "INT8": c.IntContents.AddRange(((sbyte[])Values).Select(x => (int)x)); break;
            case "INT16": c.IntContents.AddRange(((short[])Values).Select(x => (int)x)); break;
            case "INT32": c.IntContents.AddRange((int[])Values); break;
            case "INT64": c.Int64Contents.AddRange((long[])Values); break;
            case "UINT8": c.UintContents.AddRange(((byte[])Values).Select(x => (uint)x)); break;
            case "UINT16": c.UintContents.AddRange(((ushort[])Values).Select(x => (uint)x)); break;
            case "UINT32": c.UintContents.AddRange((uint[])Values); break;
            case "UINT64": c.Uint64Contents.AddRange((ulong[])Values); break;
            case "FP32": c.Fp32Contents.AddRange((float[])Values); break;
            case "FP64": c.Fp64Contents.AddRange((double[])Values); break;
            case "BYTES": c.BytesContents.AddRange(((string[])Values).Select(ByteString.CopyFromUtf8)); break;
            default: return null;
        }

        return c;
    }

    /// <summary>Each value as JSON text, the way a client writes it.</summary>
    public string[] JsonValues() => Values.Cast<object>().Select(v => v switch
    {
        Half h => JsonSerializer.Serialize((float)h),
        _ => JsonSerializer.Serialize(v),
    }).ToArray();

    public string JsonData() => "[" + string.Join(",", JsonValues()) + "]";

    public override string ToString() => Wire;
}
