using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Tests.TestSupport;

/// <summary>Random tensors and byte mutations for the mutation fuzz of the request readers.</summary>
internal static class FuzzInputs
{
    /// <summary>The per-tensor element limits a fuzzed request is read with: none allowed, a few, and the documented maximum (2^28).</summary>
    public static readonly long[] Limits = [0, 1, 16, 1024, 1L << 28];

    /// <summary>Shape dimensions a mutation puts in place of one: negative, empty, overflowing, or off by one.</summary>
    public static readonly long[] OddDims = [-1, 0, 1, 3, long.MaxValue, long.MinValue, 1L << 31, 1L << 32, (1L << 28) + 1];

    /// <summary>A tensor of a random datatype and shape (up to 3 dimensions of 0 to 3) over random bytes (BOOL: 0 or 1).</summary>
    public static InferTensor Tensor(Random random, string name, bool typedOnly = false)
    {
        var types = typedOnly ? TensorSamples.AllDataTypes.Where(t => !TypedContentsCodec.NeedsRaw(t)).ToArray() : TensorSamples.AllDataTypes;
        var type = types[random.Next(types.Length)];
        var shape = new long[random.Next(4)];
        for (var d = 0; d < shape.Length; d++)
        {
            shape[d] = random.Next(4);
        }

        var count = (int)Shapes.ElementCount(shape);
        if (type == DataType.Bytes)
        {
            var strings = Enumerable.Range(0, count).Select(_ => TensorSamples.BoundaryStrings[random.Next(TensorSamples.BoundaryStrings.Length)]).ToArray();
            return TensorSamples.Strings(name, shape, strings);
        }

        var data = new byte[count * type.ElementSize()];
        random.NextBytes(data);
        if (type == DataType.Bool)
        {
            for (var i = 0; i < data.Length; i++)
            {
                data[i] &= 1;
            }
        }

        return InferTensor.Fixed(name, type, shape, data);
    }

    /// <summary>Flips, overwrites, inserts, deletes or cuts a few bytes (<see cref="Serving.Testing.ByteMutations"/>).</summary>
    public static byte[] Mutate(byte[] bytes, Random random, Func<Random, byte[]>? insertion = null) => Serving.Testing.ByteMutations.Mutate(bytes, random, insertion);

    /// <summary>Runs <paramref name="read"/>: its result, or null when it refused the input as a caller's error should be refused.</summary>
    public static T? ReadOrRefuse<T>(Func<T> read, Func<string> input)
        where T : class
    {
        try
        {
            return read();
        }
        catch (InferenceException e) when (e.Code is InferenceErrorCode.InvalidArgument or InferenceErrorCode.ResourceExhausted)
        {
            return null;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{input()}: {e}");
        }
    }
}
