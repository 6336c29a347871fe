using System.Globalization;
using System.Text;
using Google.Protobuf;
using Serving.Drift.Ingest;
using Serving.Drift.Tests.TestSupport;
using Serving.Protocol.PredictionLogs;
using Serving.Testing;

namespace Serving.Drift.Tests.Ingest;

/// <summary>
/// Seeded mutation sweep of the ingest stream's hand-written reader (<see cref="IngestBatch"/>, <see cref="WireReader"/>)
/// with Google.Protobuf as the oracle. Valid batches of every shape (several schemas and records, unicode and empty
/// names, NaN and infinite values, categorical features, a few hundred records or values) are written by the generated
/// types, then their fields mutated (<see cref="WireMutations"/>: repeated, dropped, moved, other wire types, overlong
/// varints, lengths that lie, huge or negative lengths, unknown fields, deep groups, values unpacked) and sometimes
/// their bytes. Each case is read whole and in random segments, with and without a record limit. Where Google.Protobuf
/// reads the bytes, ours reads the same batch (or refuses a batch past the record limit, saying so); where it refuses
/// them, ours refuses them with <see cref="MalformedBatchException"/> and a message that says what is wrong; the
/// segments change nothing; the batch contract check of what was read refuses only with its own exception. Anything
/// else (another exception, another batch) fails the test with the case's seed, number and bytes (base64).
/// </summary>
public sealed class IngestBatchFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Mutated batches per run: 3,000 in CI (one to two seconds); set INGEST_FUZZ_ITERATIONS for a longer search.
    private static readonly int Iterations = OperatorFileMutations.Iterations("INGEST_FUZZ_ITERATIONS", 3000);

    private const int Seed = 2027;

    private const string NotABatch = "a message on the stream is not a PredictionLogBatch (";

    private static readonly string[] Names = ["f", "input[0]", "", "温度", "naïve", "😀", "a\"b\\c", "tab\there", "x.y-z_0", new string('n', 300)];

    private static readonly double[] OddValues =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue, double.MinValue, 0.1, 1e-310, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_0000_0001))];

    private static readonly int[] RecordLimits = [int.MaxValue, int.MaxValue, 1, 2, 5, 300];

    [Fact]
    public void Parse_MutatedBatches_AsGoogleProtobufReadsThem_OrRefusedClearly_InAnySegments()
    {
        var random = new Random(Seed);
        var failures = new OperatorFileMutations.Failures();
        var (accepted, refused, overLimit) = (0, 0, 0);
        var current = "";
        OperatorFileMutations.WithinBound(
            () =>
            {
                for (var i = 0; i < Iterations; i++)
                {
                    var bytes = WireMutations.Mutate(RandomBatch(random).ToByteArray(), random, PredictionLogWire.HoldsMessage);
                    var limit = RecordLimits[random.Next(RecordLimits.Length)];
                    current = $"seed {Seed}, case {i}, maxRecords {limit}: {Convert.ToBase64String(bytes)}";
                    try
                    {
                        switch (Check(bytes, limit, random))
                        {
                            case Outcome.Read:
                                accepted++;
                                break;
                            case Outcome.OverLimit:
                                overLimit++;
                                break;
                            default:
                                refused++;
                                break;
                        }
                    }
                    catch (Exception e)
                    {
                        failures.Add(e.GetType().Name + e.Message.Split('\n')[0], $"{current}\n{e}");
                    }
                }
            },
            TimeSpan.FromMinutes(Math.Max(1, Iterations / 20_000)),
            () => current);

        output.WriteLine($"{Iterations} cases: {accepted} read as Google.Protobuf reads them, {refused} refused as it refuses them, {overLimit} over the record limit");
        Assert.False(failures.Any, failures.ToString());

        // All three outcomes were exercised, or the comparison proves little.
        Assert.True(accepted > Iterations / 5, $"read {accepted}");
        Assert.True(refused > Iterations / 5, $"refused {refused}");
        Assert.True(overLimit > Iterations / 50, $"over the record limit {overLimit}");
    }

    private enum Outcome
    {
        Read,
        Refused,
        OverLimit,
    }

    private static Outcome Check(byte[] bytes, int limit, Random random)
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

        var whole = Read(bytes, limit, segments: null);
        var segmented = Read(bytes, limit, random);
        if (whole != segmented)
        {
            throw new Xunit.Sdk.XunitException($"read whole: {whole}\nread in segments: {segmented}");
        }

        if (expected is null)
        {
            // A record past the limit is counted, not read: what is wrong inside it goes unseen, and the count refuses the batch.
            if (!whole.StartsWith("refused: " + NotABatch, StringComparison.Ordinal) && !(limit < int.MaxValue && IsOverLimit(whole, limit)))
            {
                throw new Xunit.Sdk.XunitException($"Google.Protobuf refuses the bytes; ours: {whole}");
            }

            return Outcome.Refused;
        }

        if (expected.Records.Count > limit)
        {
            var refusal = string.Create(CultureInfo.InvariantCulture, $"refused: batch {expected.Sequence}: holds {expected.Records.Count} records; at most {limit} are accepted");
            if (whole != refusal)
            {
                throw new Xunit.Sdk.XunitException($"expected {refusal}\nours: {whole}");
            }

            return Outcome.OverLimit;
        }

        var google = Describe(expected);
        if (!whole.StartsWith(google + "\ncontract: ", StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException($"Google.Protobuf: {google}\nours: {whole}");
        }

        return Outcome.Read;
    }

    private static bool IsOverLimit(string outcome, int limit) =>
        outcome.StartsWith("refused: batch ", StringComparison.Ordinal) && outcome.EndsWith($" records; at most {limit} are accepted", StringComparison.Ordinal);

    // What our reader makes of the bytes (read whole, or in segments): the batch as text, then what the contract check
    // says of it; or its refusal. Any other exception is the test's failure.
    private static string Read(byte[] bytes, int limit, Random? segments)
    {
        IngestBatch batch;
        try
        {
            batch = IngestBatch.Parse(segments is null ? new System.Buffers.ReadOnlySequence<byte>(bytes) : ByteSequences.Segmented(bytes, segments), limit);
        }
        catch (MalformedBatchException e)
        {
            // The message goes to the sender as the stream's status: it says what is wrong, in no .NET words.
            var said = e.Message.StartsWith(NotABatch, StringComparison.Ordinal) ? e.Message[NotABatch.Length..] : e.Message;
            return said.Length < 10 || e.Message.Contains("Exception", StringComparison.Ordinal) || e.Message.Contains("System.", StringComparison.Ordinal)
                ? throw new Xunit.Sdk.XunitException($"an unclear refusal: {e.Message}")
                : "refused: " + e.Message;
        }

        try
        {
            return Describe(batch) + "\ncontract: " + Validation(batch, limit);
        }
        finally
        {
            batch.Return();
        }
    }

    private static string Validation(IngestBatch batch, int limit)
    {
        try
        {
            BatchValidator.Validate(batch, limit);
            return "valid";
        }
        catch (MalformedBatchException e)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"batch {batch.Sequence}: ");
            return e.Message.StartsWith(prefix, StringComparison.Ordinal) && e.Message.Length > prefix.Length
                ? "refused"
                : throw new Xunit.Sdk.XunitException($"a contract refusal that does not start with '{prefix}': {e.Message}");
        }
    }

    private static string Describe(PredictionLogBatch batch)
    {
        var text = Header(batch.Sequence, batch.Schemas, batch.Records.Count);
        foreach (var r in batch.Records)
        {
            Record(text, r.Schema, r.RequestId, r.TimestampUnixNanos, r.LatencyMs, r.Arm, r.Features, r.Outputs, r.CategoricalFeatures);
        }

        return text.ToString();
    }

    private static string Describe(IngestBatch batch)
    {
        var text = Header(batch.Sequence, batch.Schemas, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            Record(text, r.Schema, r.RequestId, r.TimestampUnixNanos, r.LatencyMs, r.Arm, r.Features.ToArray(), r.Outputs.ToArray(), r.CategoricalFeatures);
        }

        return text.ToString();
    }

    private static StringBuilder Header(ulong sequence, IEnumerable<RecordSchema> schemas, int records) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture, $"sequence {sequence}, {records} records, schemas ")
            .AppendJoin(" | ", schemas.Select(s => Convert.ToBase64String(s.ToByteArray())));

    private static void Record(
        StringBuilder text, int schema, string id, long timestamp, double latency, string arm, IEnumerable<double> features, IEnumerable<double> outputs,
        IEnumerable<KeyValuePair<string, string>> categorical) =>
        text.Append(CultureInfo.InvariantCulture, $"\n{schema} '{id}' {timestamp} {Bits(latency)} '{arm}' [")
            .AppendJoin(',', features.Select(Bits)).Append("] [").AppendJoin(',', outputs.Select(Bits)).Append("] {")
            .AppendJoin(',', categorical.Select(c => $"'{c.Key}'='{c.Value}'")).Append('}');

    private static string Bits(double value) => BitConverter.DoubleToInt64Bits(value).ToString("X16", CultureInfo.InvariantCulture);

    // A valid batch of a random shape: the seed the mutations start from.
    private static PredictionLogBatch RandomBatch(Random random)
    {
        var batch = new PredictionLogBatch { Sequence = random.Next(4) == 0 ? ulong.MaxValue : (ulong)random.NextInt64() };
        for (var s = random.Next(4); s > 0; s--)
        {
            var features = random.Next(30) == 0 ? 200 : random.Next(5);
            var schema = new RecordSchema
            {
                Model = random.Next(6) == 0 ? Name(random) : "m" + random.Next(3),
                Version = random.Next(6) == 0 ? "0" + random.Next(3) : random.Next(1, 4).ToString(CultureInfo.InvariantCulture),
                FeatureNames = { Enumerable.Range(0, features).Select(k => random.Next(8) == 0 ? Name(random) : "f" + k) },
                OutputNames = { "p", "q" },
                OutputSizes = { random.Next(-1, 3), random.Next(3) },
            };
            if (random.Next(3) == 0)
            {
                schema.FeatureSinglePrecision.Add(Enumerable.Range(0, random.Next(2) == 0 ? features : 1).Select(_ => random.Next(2) == 0));
                schema.OutputSinglePrecision.Add([true, false]);
            }

            batch.Schemas.Add(schema);
        }

        for (var r = random.Next(30) == 0 ? 300 : random.Next(7); r > 0; r--)
        {
            batch.Records.Add(RandomRecord(random, batch.Schemas.Count));
        }

        return batch;
    }

    private static PredictionRecord RandomRecord(Random random, int schemas)
    {
        var record = new PredictionRecord
        {
            Schema = random.Next(8) == 0 ? random.Next(-2, schemas + 2) : random.Next(Math.Max(1, schemas)),
            RequestId = random.Next(3) == 0 ? Name(random) : "req-" + random.Next(),
            TimestampUnixNanos = random.Next(4) == 0 ? (random.Next(2) == 0 ? long.MinValue : long.MaxValue) : random.NextInt64(),
            LatencyMs = random.Next(5) == 0 ? Value(random) : random.NextDouble() * 10,
            Arm = random.Next(3) == 0 ? Name(random) : string.Empty,
        };
        for (var f = random.Next(60) == 0 ? 400 : random.Next(6); f > 0; f--)
        {
            record.Features.Add(Value(random));
        }

        for (var o = random.Next(5); o > 0; o--)
        {
            record.Outputs.Add(Value(random));
        }

        for (var c = random.Next(-3, 3); c > 0; c--)
        {
            record.CategoricalFeatures[Name(random)] = Name(random);
        }

        return record;
    }

    private static string Name(Random random) => Names[random.Next(Names.Length)];

    private static double Value(Random random) => random.Next(6) == 0 ? OddValues[random.Next(OddValues.Length)] : (random.NextDouble() * 200) - 100;
}
