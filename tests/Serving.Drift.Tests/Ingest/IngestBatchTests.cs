using System.Buffers.Binary;
using Google.Protobuf;
using Serving.Drift.Ingest;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Tests.Ingest;

/// <summary>
/// <see cref="IngestBatch"/> reads what Google.Protobuf reads, as it reads it: for every message here, either both
/// refuse it or both find the same batch. The mutated batches are given back to the pool after each message, so
/// reuse across batches of every shape is part of that case.
/// </summary>
public sealed class IngestBatchTests
{
    // Mutated batches per run: 3,000 in CI; set INGEST_FUZZ_ITERATIONS for a longer search (2,000,000 took 30 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("INGEST_FUZZ_ITERATIONS"), out var n) ? n : 3000;

    [Fact]
    public void Parse_RandomBatches_SameAsGoogleProtobuf()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            AssertSameAsGoogle(RandomBatch(random).ToByteArray());
        }
    }

    [Fact]
    public void Parse_EmptyMessage_EmptyBatch()
    {
        var batch = IngestBatch.Parse(ReadOnlySpan<byte>.Empty);
        Assert.Equal(0, batch.Count);
        Assert.Empty(batch.Schemas);
        Assert.Equal(0UL, batch.Sequence);
        batch.Return();
    }

    [Fact]
    public void Parse_UnpackedAndSplitPackedValues_InterleavedWithOutputs_KeepEachFieldsOrder()
    {
        // features 1, 2 (packed), output 9 (unpacked), feature 3 (unpacked), outputs 8, 7 (packed), feature 4 (packed)
        var record = new Wire()
            .Packed(4, 1, 2).Fixed64(5, 9).Fixed64(4, 3).Packed(5, 8, 7).Packed(4, 4)
            .Bytes();
        var bytes = new Wire().Message(3, record).Bytes();

        var batch = AssertSameAsGoogle(bytes);
        Assert.Equal([1, 2, 3, 4], batch[0].Features.ToArray());
        Assert.Equal([9, 8, 7], batch[0].Outputs.ToArray());
    }

    [Fact]
    public void Parse_RepeatedScalarFields_LastOneWins()
    {
        var record = new Wire()
            .Varint(1, 3).Varint(1, 1)
            .String(2, "first").String(2, "second")
            .Fixed64(6, 1.5).Fixed64(6, 2.5)
            .Bytes();
        var bytes = new Wire().Varint(1, 5).Message(3, record).Varint(1, 6).Bytes();

        var batch = AssertSameAsGoogle(bytes);
        Assert.Equal(6UL, batch.Sequence);
        Assert.Equal(1, batch[0].Schema);
        Assert.Equal("second", batch[0].RequestId);
        Assert.Equal(2.5, batch[0].LatencyMs);
    }

    [Fact]
    public void Parse_UnknownFieldsOfEveryWireType_AndKnownFieldsWithAnotherWireType_AreSkipped()
    {
        var group = new Wire().Varint(1, 4).StartGroup(2).Varint(3, 1).EndGroup(2).Bytes();
        var record = new Wire()
            .Varint(99, 1).Fixed64(98, 1).String(97, "x").Fixed32(96, 1).StartGroup(95).Raw(group).EndGroup(95)
            .Fixed32(4, 7).Varint(2, 7).String(6, "not a double").Varint(5, 1)
            .Packed(4, 42)
            .Bytes();
        var bytes = new Wire().String(1, "not a varint").Message(3, record).Fixed64(50, 3).Bytes();

        var batch = AssertSameAsGoogle(bytes);
        Assert.Equal([42], batch[0].Features.ToArray());
        Assert.Equal(string.Empty, batch[0].RequestId);
    }

    [Fact]
    public void Parse_CategoricalEntries_MissingKeyOrValueIsEmpty_RepeatedKeyKeepsItsPlaceAndLastLabel()
    {
        var record = new Wire()
            .Message(8, new Wire().String(1, "colour").String(2, "red").Bytes())
            .Message(8, new Wire().String(1, "size").Bytes())
            .Message(8, new Wire().String(2, "orphan").Varint(3, 1).Bytes())
            .Message(8, new Wire().String(2, "blue").String(1, "colour").Bytes())
            .Bytes();
        var bytes = new Wire().Message(3, record).Bytes();

        var batch = AssertSameAsGoogle(bytes);
        Assert.Equal(
            [new("colour", "blue"), new("size", ""), new("", "orphan")],
            batch[0].CategoricalFeatures.ToArray());
        Assert.True(batch[0].TryGetLabel("colour", out var label));
        Assert.Equal("blue", label);
        Assert.False(batch[0].TryGetLabel("weight", out _));
    }

    [Fact]
    public void Parse_MapEntryWithWireType6Or7_ThoseTagsReadNothing_AsGoogleProtobufReadsThem()
    {
        // Google.Protobuf refuses wire types 6 and 7 among a message's fields, but skips nothing for them in a map entry.
        var entry = new Wire().String(1, "c").Raw([0x76]).String(2, "v").Raw([0x7F]).Bytes();
        var bytes = new Wire().Message(3, new Wire().Message(8, entry).Bytes()).Bytes();

        Assert.Equal([new("c", "v")], AssertSameAsGoogle(bytes)[0].CategoricalFeatures.ToArray());
    }

    [Fact]
    public void Parse_PackedValuesWithANegativeLength_ReadAsNoValues_AsGoogleProtobufReadsThem()
    {
        // features with length -1 (ten-byte varint), then a request id: Google.Protobuf reads no values and goes on.
        var record = new Wire().Raw([0x22, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).String(2, "after").Packed(5, 0.5).Bytes();
        var bytes = new Wire().Message(3, record).Bytes();

        var batch = AssertSameAsGoogle(bytes);
        Assert.Equal(0, batch[0].Features.Length);
        Assert.Equal("after", batch[0].RequestId);
        Assert.Equal([0.5], batch[0].Outputs.ToArray());
    }

    [Theory]
    [InlineData(2)] // request_id
    [InlineData(7)] // arm
    public void Parse_StringThatIsNotUtf8_RefusedAsGoogleProtobufRefusesIt(int field)
    {
        var record = new Wire().Delimited(field, [(byte)'a', 0xFF, 0xC3, (byte)'b']).Bytes();
        var bytes = new Wire().Message(3, record).Bytes();

        Assert.Throws<InvalidProtocolBufferException>(() => PredictionLogBatch.Parser.ParseFrom(bytes));
        Assert.Contains("not UTF-8", Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)] // key
    [InlineData(2)] // value
    public void Parse_CategoricalEntryThatIsNotUtf8_RefusedAsGoogleProtobufRefusesIt(int field)
    {
        var record = new Wire().Message(8, new Wire().Delimited(field, [0xED, 0xA0, 0x80]).Bytes()).Bytes();
        var bytes = new Wire().Message(3, record).Bytes();

        Assert.Throws<InvalidProtocolBufferException>(() => PredictionLogBatch.Parser.ParseFrom(bytes));
        Assert.Contains("not UTF-8", Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NonAsciiStrings_KeptAsReceived()
    {
        var bytes = new PredictionLogBatch { Records = { new PredictionRecord { RequestId = "ü-β-😀", Arm = "canári" } } }.ToByteArray();

        var batch = AssertSameAsGoogle(bytes);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("ü-β-😀"), batch[0].RequestIdUtf8.ToArray());
    }

    [Fact]
    public void Parse_NegativeSchemaIndex_ReadAsGoogleProtobufReadsAnInt32()
    {
        var bytes = new PredictionLogBatch { Records = { new PredictionRecord { Schema = -2 } } }.ToByteArray();

        Assert.Equal(-2, AssertSameAsGoogle(bytes)[0].Schema);
    }

    [Theory]
    [InlineData(new byte[] { 0x00 }, "tag")] // field 0
    [InlineData(new byte[] { 0x0E }, "wire type 6")]
    [InlineData(new byte[] { 0x0F }, "wire type 7")]
    [InlineData(new byte[] { 0x1A, 0x05, 0x08 }, "ends in the middle")] // a record longer than what follows
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, "longer than 10 bytes")]
    [InlineData(new byte[] { 0x1A, 0x03, 0x22, 0x01, 0x00 }, "ends in the middle")] // one byte of packed doubles
    [InlineData(new byte[] { 0x1A, 0x02, 0x31, 0x00 }, "ends in the middle")] // a double cut short
    [InlineData(new byte[] { 0x0C }, "end-group")] // an end-group tag with no start
    [InlineData(new byte[] { 0x0B, 0x08, 0x01 }, "ends in the middle")] // a group that never ends
    [InlineData(new byte[] { 0x0B, 0x14 }, "does not match")] // start group 1, end group 2
    [InlineData(new byte[] { 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "negative")] // a length past int.MaxValue
    public void Parse_NotProtobuf_RefusedAsGoogleProtobufRefusesIt(byte[] bytes, string problem)
    {
        Assert.Throws<InvalidProtocolBufferException>(() => PredictionLogBatch.Parser.ParseFrom(bytes));
        var error = Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("a message on the stream is not a PredictionLogBatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MalformedSchema_Refused()
    {
        var bytes = new Wire().Delimited(2, [0x0A, 0x05, (byte)'m']).Bytes();

        Assert.Throws<InvalidProtocolBufferException>(() => PredictionLogBatch.Parser.ParseFrom(bytes));
        Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes));
    }

    [Fact]
    public void Parse_GroupsNestedPastTheRecursionLimit_Refused()
    {
        var wire = new Wire();
        for (var i = 0; i < 150; i++)
        {
            wire.StartGroup(9);
        }

        for (var i = 0; i < 150; i++)
        {
            wire.EndGroup(9);
        }

        var bytes = wire.Bytes();
        Assert.Throws<InvalidProtocolBufferException>(() => PredictionLogBatch.Parser.ParseFrom(bytes));
        Assert.Contains("nested", Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Groups nested in a record, a categorical entry or a schema count the messages around them against protobuf's
    /// recursion limit of 100, as Google.Protobuf counts them. Each reader counted from 0: a record took 100 nested groups
    /// (Google.Protobuf 99), a categorical entry 100 (97: it checks after going in there), a schema 100 (read on its own
    /// by Google.Protobuf, as if it were no message's field: 99), and such a batch was read and archived where
    /// Google.Protobuf refuses it (seen by the ingest sweep, IngestBatchFuzzTests).
    /// </summary>
    [Theory]
    [InlineData("batch")]
    [InlineData("record")]
    [InlineData("categorical entry")]
    [InlineData("schema")]
    public void Parse_GroupsNestedAroundTheRecursionLimit_RefusedFromTheSameDepthAsGoogleProtobuf(string place)
    {
        var outcomes = new List<string>();
        for (var depth = 95; depth <= 101; depth++)
        {
            var groups = new Wire();
            for (var i = 0; i < depth; i++)
            {
                groups.StartGroup(9);
            }

            for (var i = 0; i < depth; i++)
            {
                groups.EndGroup(9);
            }

            var bytes = place switch
            {
                "batch" => groups.Bytes(),
                "record" => new Wire().Message(3, groups.Bytes()).Bytes(),
                "categorical entry" => new Wire().Message(3, new Wire().Message(8, groups.Bytes()).Bytes()).Bytes(),
                _ => new Wire().Message(2, groups.Bytes()).Bytes(),
            };
            outcomes.Add($"{depth}: {(AssertSameOutcome(bytes) ? "read" : "refused")}");
        }

        // The limit lies within the depths tried: the first is read, the last refused.
        Assert.Equal("95: read", outcomes[0]);
        Assert.Equal("101: refused", outcomes[^1]);
    }

    [Fact]
    public void Parse_MutatedBatches_RefusedExactlyWhenGoogleProtobufRefusesThem_ElseTheSameBatch()
    {
        var random = new Random(11);
        var refused = 0;
        var accepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = RandomBatch(random).ToByteArray();
            Mutate(bytes.AsSpan(), random, out var length);
            var mutated = bytes.AsSpan(0, length).ToArray();
            if (AssertSameOutcome(mutated))
            {
                accepted++;
            }
            else
            {
                refused++;
            }
        }

        // Both outcomes were exercised, or the comparison proves little.
        Assert.True(refused > 300, $"refused {refused}");
        Assert.True(accepted > 300, $"accepted {accepted}");
    }

    [Fact]
    public void Parse_MoreRecordsThanAllowed_RefusedWithTheCountAndTheSequence_EvenWhenTheSequenceComesLast()
    {
        var wire = new Wire();
        for (var i = 0; i < 5; i++)
        {
            wire.Message(3, new Wire().String(2, $"r{i}").Bytes());
        }

        var bytes = wire.Varint(1, 9).Bytes();

        Assert.Equal(5, IngestBatch.Parse(bytes, maxRecords: 5).Count);
        var error = Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes, maxRecords: 3));
        Assert.Equal("batch 9: holds 5 records; at most 3 are accepted", error.Message);
    }

    [Fact]
    public void Parse_MillionsOfEmptyRecordsPastTheLimit_RefusedWithoutAnObjectPerRecord()
    {
        // 4 MB of two-byte empty records: counted, not read.
        var bytes = new byte[4_000_000];
        for (var i = 0; i < bytes.Length; i += 2)
        {
            bytes[i] = 0x1A;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MalformedBatchException>(() => IngestBatch.Parse(bytes, maxRecords: 10));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("holds 2000000 records; at most 10 are accepted", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 20_000_000, $"allocated {allocated:N0} bytes"); // two copies of the message, no record objects (2M would be ~190 MB)
    }

    [Fact]
    public void Return_AfterAnUnusuallyLargeBatch_KeepsABoundedNumberOfRecordObjects()
    {
        var bytes = new byte[40_000];
        for (var i = 0; i < bytes.Length; i += 2)
        {
            bytes[i] = 0x1A;
        }

        var batch = IngestBatch.Parse(bytes);
        Assert.Equal(20_000, batch.Count);
        batch.Return();

        Assert.InRange(batch.RecordSlots, 0, 4096);
    }

    [Fact]
    public void Return_ThenParseAnotherBatch_NothingOfTheFirstRemains()
    {
        var first = new PredictionLogBatch { Sequence = 1 };
        first.Schemas.Add(new RecordSchema { Model = "m", Version = "1" });
        for (var i = 0; i < 50; i++)
        {
            first.Records.Add(new PredictionRecord { RequestId = $"r{i}", Features = { 1, 2, 3 }, Outputs = { 4 }, CategoricalFeatures = { ["c"] = "x" } });
        }

        IngestBatch.Parse(first.ToByteArray()).Return();
        var second = new PredictionLogBatch { Records = { new PredictionRecord { RequestId = "only" } } };

        var batch = AssertSameAsGoogle(second.ToByteArray());
        Assert.Equal(1, batch.Count);
        Assert.Empty(batch.Schemas);
        Assert.Equal(0, batch[0].Features.Length);
        Assert.Empty(batch[0].CategoricalFeatures);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[1]);
    }

    private static IngestBatch AssertSameAsGoogle(byte[] bytes)
    {
        var expected = PredictionLogBatch.Parser.ParseFrom(bytes);
        var actual = IngestBatch.Parse(bytes);
        AssertSame(expected, actual);
        return actual;
    }

    // True when both accepted (and read the same batch), false when both refused.
    private static bool AssertSameOutcome(byte[] bytes)
    {
        PredictionLogBatch? expected;
        try
        {
            expected = PredictionLogBatch.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            expected = null;
        }

        IngestBatch? actual;
        try
        {
            actual = IngestBatch.Parse(bytes);
        }
        catch (MalformedBatchException)
        {
            actual = null;
        }

        Assert.True((expected is null) == (actual is null), $"Google.Protobuf {(expected is null ? "refused" : "accepted")} {Convert.ToHexString(bytes)}");
        if (expected is null)
        {
            return false;
        }

        AssertSame(expected, actual!);
        actual!.Return();
        return true;
    }

    private static void AssertSame(PredictionLogBatch expected, IngestBatch actual)
    {
        Assert.Equal(expected.Sequence, actual.Sequence);
        Assert.Equal(expected.Schemas, actual.Schemas);
        Assert.Equal(expected.Records.Count, actual.Count);
        for (var i = 0; i < actual.Count; i++)
        {
            var (e, a) = (expected.Records[i], actual[i]);
            Assert.Equal(e.Schema, a.Schema);
            Assert.Equal(e.RequestId, a.RequestId);
            Assert.Equal(e.TimestampUnixNanos, a.TimestampUnixNanos);
            Assert.Equal(BitConverter.DoubleToInt64Bits(e.LatencyMs), BitConverter.DoubleToInt64Bits(a.LatencyMs));
            Assert.Equal(e.Features.Select(BitConverter.DoubleToInt64Bits), a.Features.ToArray().Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(e.Outputs.Select(BitConverter.DoubleToInt64Bits), a.Outputs.ToArray().Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(e.Arm, a.Arm);
            Assert.Equal(e.CategoricalFeatures.ToArray(), a.CategoricalFeatures.ToArray());
        }
    }

    private static PredictionLogBatch RandomBatch(Random random)
    {
        var batch = new PredictionLogBatch { Sequence = (ulong)random.NextInt64() };
        for (var s = random.Next(3); s > 0; s--)
        {
            batch.Schemas.Add(new RecordSchema
            {
                Model = "m" + random.Next(5),
                Version = random.Next(1, 4).ToString(System.Globalization.CultureInfo.InvariantCulture),
                FeatureNames = { Enumerable.Range(0, random.Next(4)).Select(k => "f" + k) },
                OutputNames = { "p" },
                OutputSizes = { random.Next(1, 3) },
            });
        }

        double[] specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue];
        for (var r = random.Next(6); r > 0; r--)
        {
            var record = new PredictionRecord
            {
                Schema = random.Next(-1, 3),
                RequestId = random.Next(4) == 0 ? "ü-" + random.Next() : Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())),
                TimestampUnixNanos = random.NextInt64(long.MinValue, long.MaxValue),
                LatencyMs = random.NextDouble() * 10,
                Arm = random.Next(3) == 0 ? "canary" : string.Empty,
            };
            for (var f = random.Next(8); f > 0; f--)
            {
                record.Features.Add(random.Next(10) == 0 ? specials[random.Next(specials.Length)] : (random.NextDouble() * 200) - 100);
            }

            for (var o = random.Next(4); o > 0; o--)
            {
                record.Outputs.Add(random.NextDouble());
            }

            for (var c = random.Next(-2, 3); c > 0; c--)
            {
                record.CategoricalFeatures["c" + random.Next(3)] = "v" + random.Next(100);
            }

            batch.Records.Add(record);
        }

        return batch;
    }

    // Flips, overwrites, cuts or duplicates a few bytes.
    private static void Mutate(Span<byte> bytes, Random random, out int length)
    {
        length = bytes.Length;
        if (length == 0)
        {
            return;
        }

        for (var m = random.Next(1, 4); m > 0; m--)
        {
            var at = random.Next(length);
            switch (random.Next(4))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    length = at;
                    return;
                default:
                    bytes[at] = bytes[random.Next(length)];
                    break;
            }
        }
    }

    /// <summary>Writes protobuf wire format by hand, for messages the generated code would never write.</summary>
    private sealed class Wire
    {
        private readonly List<byte> _bytes = [];

        public Wire Varint(int field, ulong value) => Tag(field, 0).RawVarint(value);

        public Wire Fixed64(int field, double value)
        {
            Tag(field, 1);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(b, value);
            _bytes.AddRange(b.ToArray());
            return this;
        }

        public Wire Fixed32(int field, uint value)
        {
            Tag(field, 5);
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            _bytes.AddRange(b.ToArray());
            return this;
        }

        public Wire Packed(int field, params double[] values)
        {
            var b = new byte[values.Length * 8];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(i * 8), values[i]);
            }

            return Delimited(field, b);
        }

        public Wire String(int field, string value) => Delimited(field, System.Text.Encoding.UTF8.GetBytes(value));

        public Wire Message(int field, byte[] message) => Delimited(field, message);

        public Wire Delimited(int field, byte[] value)
        {
            Tag(field, 2).RawVarint((ulong)value.Length);
            _bytes.AddRange(value);
            return this;
        }

        public Wire StartGroup(int field) => Tag(field, 3);

        public Wire EndGroup(int field) => Tag(field, 4);

        public Wire Raw(byte[] bytes)
        {
            _bytes.AddRange(bytes);
            return this;
        }

        public byte[] Bytes() => [.. _bytes];

        private Wire Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

        private Wire RawVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
            return this;
        }
    }
}
