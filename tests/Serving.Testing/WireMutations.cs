namespace Serving.Testing;

/// <summary>
/// Mutations of a protobuf message at the level of its fields, for the seeded sweeps of hand-written protobuf readers:
/// a field repeated, dropped or moved, its tag given another wire type, a tag or length written in more bytes than it
/// needs (or more than a varint may take), a length that lies (a little, hugely, negatively), an odd varint value,
/// packed values sent unpacked, a field cut short, unknown fields of every wire type put in (groups nested to around
/// protobuf's recursion limit, wire types 6 and 7, an end-group tag without its start); in the top-level message or in
/// a message nested in it. Some cases get <see cref="ByteMutations"/> on top. Linked into the projects that use it.
/// </summary>
public static class WireMutations
{
    /// <summary>Odd varint values: zero, negative int32 and int64 (ten bytes), past int32, uint32 and int64.</summary>
    private static readonly ulong[] OddVarints =
        [0, 1, 127, 128, int.MaxValue, 1UL << 31, uint.MaxValue, 1UL << 32, long.MaxValue, 1UL << 63, ulong.MaxValue, unchecked((ulong)-2L)];

    /// <summary>Lengths a delimited field may claim in place of its own.</summary>
    private static readonly ulong[] OddLengths =
        [0, 1, 7, 8, 9, 127, 128, 16_384, int.MaxValue, 1UL << 31, uint.MaxValue, 1UL << 32, ulong.MaxValue, unchecked((ulong)-1L), unchecked((ulong)int.MinValue)];

    /// <summary>Field numbers an unknown field takes: small ones next to the known ones, protobuf's reserved range, the largest.</summary>
    private static readonly int[] UnknownNumbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 99, 2047, 19_000, 19_999, 536_870_911];

    /// <summary>How deep an inserted run of groups nests: shallow, or around protobuf's recursion limit of 100.</summary>
    private static readonly int[] GroupDepths = [1, 2, 3, 50, 96, 97, 98, 99, 100, 101, 102];

    /// <summary>
    /// 1 to 3 mutations of <paramref name="message"/>. <paramref name="isMessage"/> says which delimited fields hold a
    /// message that mutations may go into: it is given the field numbers of the path down to the message (empty for the
    /// top level) and the field's number.
    /// </summary>
    public static byte[] Mutate(byte[] message, Random random, Func<IReadOnlyList<int>, int, bool> isMessage)
    {
        var bytes = message;
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            bytes = random.Next(6) == 0
                ? ByteMutations.Mutate(bytes, random, Insertion)
                : MutateFields(bytes, random, isMessage, []) ?? ByteMutations.Mutate(bytes, random, Insertion);
        }

        return bytes;
    }

    /// <summary>A tag's bytes: <paramref name="number"/> and <paramref name="wireType"/> as a varint.</summary>
    public static byte[] Tag(int number, int wireType) => Varint((uint)((number << 3) | wireType));

    /// <summary><paramref name="value"/> as a varint, in at least <paramref name="minBytes"/> bytes (padded with continuation bytes).</summary>
    public static byte[] Varint(ulong value, int minBytes = 1)
    {
        var bytes = new List<byte>(11);
        do
        {
            bytes.Add((byte)(value & 0x7F));
            value >>= 7;
        }
        while (value != 0);

        while (bytes.Count < minBytes)
        {
            bytes.Add(0);
        }

        for (var i = 0; i < bytes.Count - 1; i++)
        {
            bytes[i] |= 0x80;
        }

        return [.. bytes];
    }

    /// <summary>A delimited field: tag, length and <paramref name="payload"/>.</summary>
    public static byte[] Delimited(int number, byte[] payload) => [.. Tag(number, 2), .. Varint((ulong)payload.Length), .. payload];

    // A field as it stands in its message: number, wire type, where it starts, where its tag ends, where its payload
    // starts (after the length of a delimited field; else where the tag ends) and where it ends.
    private readonly record struct Field(int Number, int WireType, int Start, int Body, int Payload, int End);

    // What ByteMutations puts in: bytes that are tags, varints and lengths more often than random bytes are.
    private static byte[] Insertion(Random random) => random.Next(4) switch
    {
        0 => Tag(random.Next(1, 20), random.Next(8)),
        1 => Varint(OddVarints[random.Next(OddVarints.Length)]),
        2 => [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        _ => [(byte)random.Next(256)],
    };

    // Goes down into a nested message (two times out of three when there is one), or changes a field of this one. Null
    // when the bytes are not fields (an earlier mutation broke them): the caller mutates bytes instead.
    private static byte[]? MutateFields(byte[] message, Random random, Func<IReadOnlyList<int>, int, bool> isMessage, int[] path)
    {
        if (Split(message) is not { } fields)
        {
            return null;
        }

        var nested = fields.Where(f => f.WireType == 2 && isMessage(path, f.Number)).ToArray();
        if (nested.Length > 0 && random.Next(3) > 0)
        {
            var field = nested[random.Next(nested.Length)];
            var inner = MutateFields(message[field.Payload..field.End], random, isMessage, [.. path, field.Number]);
            return inner is null ? null : [.. message.AsSpan(0, field.Start), .. Delimited(field.Number, inner), .. message.AsSpan(field.End)];
        }

        return Change(message, fields, random);
    }

    private static byte[] Change(byte[] message, List<Field> fields, Random random)
    {
        if (fields.Count == 0)
        {
            return UnknownField(random, message);
        }

        var field = fields[random.Next(fields.Count)];
        var bytes = message[field.Start..field.End];
        var payload = message[field.Payload..field.End];
        switch (random.Next(9))
        {
            case 0: // repeated, right after itself or at the end
                return Insert(message, random.Next(2) == 0 ? field.End : message.Length, bytes);
            case 1: // dropped
                return Replace(message, field, []);
            case 2: // moved to the end
                return [.. Replace(message, field, []), .. bytes];
            case 3: // another wire type, the same payload
                return Replace(message, field, [.. Tag(field.Number, (field.WireType + random.Next(1, 8)) % 8), .. message[field.Body..field.End]]);
            case 4: // its tag in more bytes than it needs: up to 10 (valid), or 11 (not a varint)
                return Replace(message, field, [.. Varint((uint)((field.Number << 3) | field.WireType), random.Next(2, 12)), .. message[field.Body..field.End]]);
            case 5 when field.WireType == 2: // a length that lies, or the right one in too many bytes
                var length = random.Next(3) switch
                {
                    0 => Varint((ulong)Math.Max(0, payload.Length + random.Next(-3, 4))),
                    1 => Varint(OddLengths[random.Next(OddLengths.Length)]),
                    _ => Varint((ulong)payload.Length, random.Next(2, 12)),
                };
                return Replace(message, field, [.. Tag(field.Number, 2), .. length, .. payload]);
            case 5 when field.WireType == 0: // an odd value
                return Replace(message, field, [.. Tag(field.Number, 0), .. Varint(OddVarints[random.Next(OddVarints.Length)], random.Next(1, 11))]);
            case 6 when field.WireType == 2 && payload.Length % 8 == 0 && payload.Length > 0: // packed doubles sent unpacked (or split in two packed runs)
                return Replace(message, field, Unpacked(field.Number, payload, random));
            case 7: // cut short: the message ends inside the field
                return message[..random.Next(field.Start + 1, Math.Max(field.Start + 2, field.End))];
            default: // an unknown field before it, or at the end
                return Insert(message, random.Next(4) == 0 ? message.Length : field.Start, UnknownField(random, message));
        }
    }

    private static byte[] Unpacked(int number, byte[] payload, Random random)
    {
        if (random.Next(2) == 0 && payload.Length >= 16)
        {
            var cut = 8 * random.Next(1, payload.Length / 8);
            return [.. Delimited(number, payload[..cut]), .. Delimited(number, payload[cut..])];
        }

        var fields = new List<byte>();
        for (var i = 0; i < payload.Length; i += 8)
        {
            fields.AddRange(Tag(number, 1));
            fields.AddRange(payload.AsSpan(i, 8));
        }

        return [.. fields];
    }

    private static byte[] UnknownField(Random random, byte[] message)
    {
        var number = UnknownNumbers[random.Next(UnknownNumbers.Length)];
        switch (random.Next(10))
        {
            case 0:
                return [.. Tag(number, 0), .. Varint(OddVarints[random.Next(OddVarints.Length)])];
            case 1:
                return [.. Tag(number, 1), .. RandomBytes(random, 8)];
            case 2:
                return [.. Tag(number, 5), .. RandomBytes(random, 4)];
            case 3:
                return Delimited(number, RandomBytes(random, random.Next(12)));
            case 4 when message.Length > 0: // a piece of the message itself as a delimited field
                var from = random.Next(message.Length);
                return Delimited(number, message[from..Math.Min(message.Length, from + random.Next(1, 64))]);
            case 5: // groups, nested and with fields inside; sometimes ended by the wrong number or not at all
                var depth = GroupDepths[random.Next(GroupDepths.Length)];
                var group = new List<byte>();
                for (var d = 0; d < depth; d++)
                {
                    group.AddRange(Tag(number, 3));
                }

                group.AddRange([.. Tag(1, 0), 1, .. Delimited(2, [1, 2])]);
                var ends = random.Next(8) == 0 ? depth - 1 : depth;
                var wrong = random.Next(8) == 0 ? random.Next(depth) : -1;
                for (var d = 0; d < ends; d++)
                {
                    group.AddRange(Tag(d == wrong ? number + 1 : number, 4));
                }

                return [.. group];
            case 6:
                return Tag(number, 4); // an end-group tag without its start
            case 7:
                return [.. Tag(number, 6 + random.Next(2)), .. RandomBytes(random, random.Next(3))];
            case 8:
                return [0x00, .. RandomBytes(random, random.Next(3))]; // field number 0
            default:
                return [.. Tag(number, 2), .. Varint(OddLengths[random.Next(OddLengths.Length)]), .. RandomBytes(random, random.Next(4))];
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Insert(byte[] message, int at, byte[] bytes) => [.. message.AsSpan(0, at), .. bytes, .. message.AsSpan(at)];

    private static byte[] Replace(byte[] message, Field field, byte[] bytes) => [.. message.AsSpan(0, field.Start), .. bytes, .. message.AsSpan(field.End)];

    // The message's fields (a group taken whole, up to its end tag), or null when the bytes are not well-formed fields.
    private static List<Field>? Split(byte[] message)
    {
        var fields = new List<Field>();
        var at = 0;
        while (at < message.Length)
        {
            var start = at;
            if (!TryVarint(message, ref at, out var tag) || tag >> 3 is 0 or > int.MaxValue)
            {
                return null;
            }

            var (number, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            var (body, payload) = (at, at);
            if (!TrySkip(message, ref at, number, wireType, ref payload, 0))
            {
                return null;
            }

            fields.Add(new Field(number, wireType, start, body, payload, at));
        }

        return fields;
    }

    private static bool TrySkip(byte[] message, ref int at, int number, int wireType, ref int payload, int depth)
    {
        switch (wireType)
        {
            case 0:
                return TryVarint(message, ref at, out _);
            case 1:
                at += 8;
                return at <= message.Length;
            case 5:
                at += 4;
                return at <= message.Length;
            case 2:
                if (!TryVarint(message, ref at, out var length) || length > (ulong)(message.Length - at))
                {
                    return false;
                }

                payload = at;
                at += (int)length;
                return true;
            case 3 when depth < 200:
                while (at < message.Length)
                {
                    if (!TryVarint(message, ref at, out var tag) || tag >> 3 is 0 or > int.MaxValue)
                    {
                        return false;
                    }

                    if ((tag & 7) == 4)
                    {
                        return (int)(tag >> 3) == number;
                    }

                    var ignored = at;
                    if (!TrySkip(message, ref at, (int)(tag >> 3), (int)(tag & 7), ref ignored, depth + 1))
                    {
                        return false;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static bool TryVarint(byte[] message, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70 && at < message.Length; shift += 7)
        {
            var b = message[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
