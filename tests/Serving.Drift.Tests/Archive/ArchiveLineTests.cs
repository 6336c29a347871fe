using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Serving.Drift.Archive;
using Serving.Drift.Tests.TestSupport;
using Serving.Hosting.Buffers;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Tests.Archive;

/// <summary>The fast line formatter must write exactly the bytes of the JSON writer it replaces (<see cref="ArchiveJson"/>).</summary>
public sealed class ArchiveLineTests
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 23, 18, 35, 1, 120, TimeSpan.Zero);

    [Fact]
    public void TryWrite_RandomRecords_SameBytesAsArchiveJson()
    {
        var random = new Random(20261123);
        var schema = Records.Schema("tabular", "2", [.. Enumerable.Range(0, 30).Select(i => $"f{i}")], ("probabilities", 2), ("logits", 3));
        for (var n = 0; n < 5000; n++)
        {
            var record = Records.Record(
                [.. Enumerable.Range(0, 30).Select(_ => Value(random))],
                [.. Enumerable.Range(0, 5).Select(_ => Value(random))],
                Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())));
            record.TimestampUnixNanos = Timestamp(random);
            record.LatencyMs = Value(random);
            record.Arm = random.Next(3) == 0 ? "canary" : string.Empty;

            AssertSameLine(schema, record, n % 2 == 0 ? ArchiveStatus.Scored : ArchiveStatus.UnknownVersion, expectFast: true);
        }
    }

    [Fact]
    public void TryWrite_RandomRecordsWithSinglePrecisionValues_SameBytesAsArchiveJson()
    {
        var random = new Random(20261204);
        for (var n = 0; n < 2000; n++)
        {
            var schema = Records.Schema("tabular", "2", [.. Enumerable.Range(0, 12).Select(i => $"f{i}")], ("probabilities", 2), ("logits", 3));
            schema.FeatureSinglePrecision.Add(Enumerable.Range(0, 12).Select(_ => random.Next(3) > 0));
            schema.OutputSinglePrecision.Add([random.Next(2) == 0, random.Next(2) == 0]);
            var record = Records.Record(
                [.. Enumerable.Range(0, 12).Select(_ => random.Next(3) > 0 ? SingleValue(random) : Value(random))],
                [.. Enumerable.Range(0, 5).Select(_ => random.Next(3) > 0 ? SingleValue(random) : Value(random))]);

            AssertSameLine(schema, record, ArchiveStatus.Scored, expectFast: true);
        }
    }

    [Theory]
    [InlineData(0.1f, "0.1")]
    [InlineData(-2.5f, "-2.5")]
    [InlineData(16777216f, "16777216")]
    [InlineData(float.MaxValue, "3.4028235E+38")]
    [InlineData(float.Epsilon, "1E-45")]
    [InlineData(1e-40f, "1E-40")]
    public void TryWrite_SinglePrecisionFeature_ShortestFloatThatParsesBackToTheSameFloat(float value, string text)
    {
        var schema = Records.Schema("m", "1", ["a", "b"], ("p", 1));
        schema.FeatureSinglePrecision.Add([true, false]);
        schema.OutputSinglePrecision.Add(true);
        var record = Records.Record([value, value], [value]);

        var line = AssertSameLine(schema, record, ArchiveStatus.Scored, expectFast: true);

        using var document = JsonDocument.Parse(line);
        var features = document.RootElement.GetProperty("features");
        Assert.Equal(text, features.GetProperty("a").GetRawText());
        Assert.Equal(value, features.GetProperty("a").GetSingle());
        Assert.Equal((double)value, features.GetProperty("b").GetDouble());
        Assert.Equal(value, document.RootElement.GetProperty("outputs").GetProperty("p")[0].GetSingle());
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(16777217.0)]
    [InlineData(1e300)]
    [InlineData(1e-300)]
    public void TryWrite_FlaggedValueThatIsNotAFloat_WrittenAsTheDouble(double value)
    {
        var schema = Records.Schema("m", "1", ["a"], ("p", 1));
        schema.FeatureSinglePrecision.Add(true);
        schema.OutputSinglePrecision.Add(true);

        var line = AssertSameLine(schema, Records.Record([value], [value]), ArchiveStatus.Scored, expectFast: true);

        using var document = JsonDocument.Parse(line);
        Assert.Equal(value, document.RootElement.GetProperty("features").GetProperty("a").GetDouble());
        Assert.Equal(value, document.RootElement.GetProperty("outputs").GetProperty("p")[0].GetDouble());
    }

    [Fact]
    public void TryWrite_EveryPrintableAsciiCharacterInIdAndArm_SameBytesAsArchiveJson()
    {
        var schema = Records.Schema("m", "1", ["a"], ("p", 1));
        for (var c = (char)0x20; c < 0x7F; c++)
        {
            var record = Records.Record([1], [2], $"x{c}y");
            record.Arm = $"{c}";
            AssertSameLine(schema, record, ArchiveStatus.Scored, expectFast: c is not ('"' or '\\'));
        }
    }

    [Theory]
    [InlineData("quote\"d")]
    [InlineData("back\\slash")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData("del\u007f")]
    [InlineData("naïve-日本")]
    [InlineData("emoji-😀")]
    [InlineData("sep\u2028")]
    public void TryWrite_StringsThatNeedEscaping_LeftToArchiveJson(string id)
    {
        var schema = Records.Schema("m", "1", ["a"], ("p", 1));
        AssertSameLine(schema, Records.Record([1], [2], id), ArchiveStatus.Scored, expectFast: false);
    }

    [Fact]
    public void TryWrite_CategoricalFeatures_LeftToArchiveJson()
    {
        var schema = Records.Schema("m", "1", ["a"], ("p", 1));
        var record = Records.Record([1], [2]);
        record.CategoricalFeatures["city"] = "Oslo";

        AssertSameLine(schema, record, ArchiveStatus.Scored, expectFast: false);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1_700_000_000_000_000_000L)]
    [InlineData(1_700_000_000_100_000_000L)]
    [InlineData(1_700_000_000_000_000_100L)]
    [InlineData(1_700_000_000_123_456_700L)]
    [InlineData(-9_000_000_000_000_000_000L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void TryWrite_Timestamps_SameBytesAsArchiveJson(long unixNanos)
    {
        var schema = Records.Schema("m", "1", ["a"], ("p", 1));
        var record = Records.Record([1], [2]);
        record.TimestampUnixNanos = unixNanos;

        AssertSameLine(schema, record, ArchiveStatus.Scored, expectFast: true);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.MaxValue)]
    [InlineData(double.MinValue)]
    [InlineData(double.Epsilon)]
    [InlineData(1e-300)]
    [InlineData(1e21)]
    [InlineData(123456789012345680000.0)]
    [InlineData(0.1)]
    public void TryWrite_EdgeNumbers_SameBytesAsArchiveJson(double value)
    {
        var schema = Records.Schema("m", "1", ["a", "b"], ("p", 2));
        var record = Records.Record([value, (float)value], [value, -value]);
        record.LatencyMs = value;

        AssertSameLine(schema, record, ArchiveStatus.Scored, expectFast: true);
    }

    [Fact]
    public void TryWrite_NamesThatNeedEscaping_AreWrittenAsTheJsonWriterEscapesThem()
    {
        var schema = Records.Schema("m", "1", ["a\"b", "ü", "c\\d"], ("out\"put", 1));

        AssertSameLine(schema, Records.Record([1, 2, 3], [4]), ArchiveStatus.Scored, expectFast: true);
    }

    private static string AssertSameLine(RecordSchema schema, PredictionRecord record, ArchiveStatus status, bool expectFast)
    {
        var names = new EncodedSchema.Cache(Encoder).Get(schema);
        var expected = Reference(schema, record, status, names);

        var scratch = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(scratch, new JsonWriterOptions { Encoder = Encoder, SkipValidation = true });
        var prefix = ArchiveLine.Prefix(json, scratch, names, status, ReceivedAt);
        using var buffer = new PooledBufferWriter(1 << 20, keepAtMost: 8 << 20);
        var fast = ArchiveLine.TryWrite(buffer, Ingested.Record(record), names, prefix);

        Assert.Equal(expectFast, fast);
        if (fast)
        {
            Assert.Equal(expected, Encoding.UTF8.GetString(buffer.Written));
        }
        else
        {
            Assert.Equal(0, buffer.Length);
        }

        return expected;
    }

    private static string Reference(RecordSchema schema, PredictionRecord record, ArchiveStatus status, EncodedSchema names)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = Encoder, SkipValidation = true }))
        {
            ArchiveJson.Write(json, new ArchiveEntry(schema, Ingested.Record(record), status), names, ReceivedAt);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan) + "\n";
    }

    // Values of every kind the worker sends: float-widened, full doubles, integers, tiny, huge, negative zero, non-finite.
    private static double Value(Random random) => random.Next(8) switch
    {
        0 => (float)(random.NextDouble() * 100),
        1 => random.NextDouble() * Math.Pow(10, random.Next(-20, 20)),
        2 => random.Next(-1000, 1000),
        3 => -random.NextDouble(),
        4 => BitConverter.Int64BitsToDouble(random.NextInt64()) is var d && double.IsFinite(d) ? d : 0.5,
        5 => random.Next(50) == 0 ? double.NaN : -0.0,
        6 => (float)random.NextDouble(),
        _ => Math.Round(random.NextDouble(), random.Next(0, 6)),
    };

    // Any float32 but NaN's payloads: random bits (subnormals, huge, tiny, infinities) or a plain fraction.
    private static double SingleValue(Random random) => random.Next(2) == 0
        ? BitConverter.Int32BitsToSingle(random.Next() * (random.Next(2) == 0 ? 1 : -1))
        : (float)(random.NextDouble() * 10);

    private static long Timestamp(Random random) => random.Next(4) switch
    {
        0 => 1_700_000_000L * 1_000_000_000 + (random.Next(0, 1000) * 1_000_000L),
        1 => 1_700_000_000L * 1_000_000_000 + (random.Next(0, 100) * 100L),
        2 => -random.NextInt64(),
        _ => random.NextInt64(),
    };
}
