using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Tests.TestSupport;

/// <summary>
/// Inputs for the mutation fuzz of the gateway's gRPC readers: ModelInferRequest messages with their leading fields in
/// every order (as serializers write them, shuffled, repeated, of the wrong wire type), a few bytes of them changed,
/// and the same bytes cut into segments at random.
/// </summary>
internal static class FuzzBodies
{
    private static readonly string[] Names = ["tabular", "", "m", "my-model_2.v1", "模型", new string('n', 256), new string('n', 257)];

    private static readonly string[] Versions = ["", "1", "12", "latest", "ü", new string('9', 300)];

    /// <summary>A ModelInferRequest's bytes; mostly as Google.Protobuf writes them, sometimes with fields out of order.</summary>
    public static byte[] Message(Random random)
    {
        var parts = new List<byte[]>();
        if (random.Next(6) > 0)
        {
            parts.Add(Frames.StringField(1, Pick(random, Names)));
        }

        if (random.Next(2) == 0)
        {
            parts.Add(Frames.StringField(2, Pick(random, Versions)));
        }

        parts.Add(Rest(random).ToByteArray());
        switch (random.Next(8))
        {
            case 0:
                parts.Add(Frames.StringField(1, Pick(random, Names)));
                break;
            case 1:
                parts.Insert(random.Next(parts.Count + 1), Frames.VarintField(random.Next(1, 4), (ulong)random.NextInt64()));
                break;
            case 2:
                parts.Insert(random.Next(parts.Count + 1), Frames.StringField(random.Next(1, 20), [0xC3, 0x28, 0xFF]));
                break;
            case 3:
                Shuffle(random, parts);
                break;
        }

        return Frames.Concat([.. parts]);
    }

    /// <summary>A framed message, sometimes followed by a second one (a stream), with a few bytes changed.</summary>
    public static byte[] Mutated(Random random, byte compressed = 0, Func<byte[], byte[]>? transform = null)
    {
        var message = Message(random);
        var body = Frames.Frame(transform is null ? message : transform(message), compressed);
        if (random.Next(8) == 0)
        {
            body = Frames.Concat(body, Frames.Frame(Message(random)));
        }

        return random.Next(10) == 0 ? body : Mutate(body, random);
    }

    /// <summary>Flips, overwrites, inserts, deletes or cuts a few bytes, mostly near the start, or changes the header's length.</summary>
    public static byte[] Mutate(byte[] bytes, Random random)
    {
        var list = new List<byte>(bytes);
        for (var m = random.Next(1, 4); m > 0 && list.Count > 0; m--)
        {
            var at = random.Next(random.Next(3) == 0 ? list.Count : Math.Min(list.Count, 48));
            switch (random.Next(8))
            {
                case 0:
                    list[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    list[at] = (byte)random.Next(256);
                    break;
                case 2:
                    list[at] = random.Next(2) == 0 ? (byte)0x80 : (byte)0xFF;
                    break;
                case 3:
                    list.Insert(at, (byte)random.Next(256));
                    break;
                case 4:
                    list.RemoveRange(at, Math.Min(random.Next(1, 8), list.Count - at));
                    break;
                case 5:
                    list.RemoveRange(at, list.Count - at);
                    break;
                case 6 when list.Count >= 5:
                    var length = BinaryPrimitives.ReadUInt32BigEndian(list.GetRange(1, 4).ToArray());
                    var lie = random.Next(3) switch
                    {
                        0 => length + (uint)random.Next(-8, 9),
                        1 => (uint)random.Next(64),
                        _ => (uint)random.NextInt64(uint.MaxValue + 1L),
                    };
                    var header = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(header, lie);
                    list.RemoveRange(1, 4);
                    list.InsertRange(1, header);
                    break;
                default:
                    list[at] = list[random.Next(list.Count)];
                    break;
            }
        }

        return [.. list];
    }

    /// <summary><paramref name="bytes"/> in segments of random lengths, empty ones among them, as a pipe may hand them over.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, Random random)
    {
        var longest = random.Next(3) switch { 0 => 2, 1 => 9, _ => 600 };
        return Frames.Segmented(bytes, () => random.Next(10) == 0 ? 0 : random.Next(1, longest + 1));
    }

    /// <summary>A request with a name and version from the lists (either may be empty), and a few inputs.</summary>
    public static ModelInferRequest Request(Random random)
    {
        var request = Rest(random);
        request.ModelName = Pick(random, Names);
        request.ModelVersion = Pick(random, Versions);
        return request;
    }

    // Fields 3 and on, as Google.Protobuf writes them (in number order).
    private static ModelInferRequest Rest(Random random)
    {
        var request = new ModelInferRequest { Id = random.Next(3) == 0 ? "" : "id-" + random.Next(100) };
        if (random.Next(2) == 0)
        {
            request.Parameters["timeout"] = new InferParameter { Int64Param = random.Next() };
        }

        for (var i = random.Next(3); i > 0; i--)
        {
            var raw = new byte[4 * random.Next(0, 40)];
            random.NextBytes(raw);
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "in" + i, Datatype = "FP32" };
            input.Shape.AddRange([1, raw.Length / 4]);
            request.Inputs.Add(input);
            request.RawInputContents.Add(ByteString.CopyFrom(raw));
        }

        return request;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static void Shuffle(Random random, List<byte[]> parts)
    {
        for (var i = parts.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (parts[i], parts[j]) = (parts[j], parts[i]);
        }
    }
}
