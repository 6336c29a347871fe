using System.Text;
using Google.Protobuf;
using Serving.Protocol.PredictionLogs;
using Serving.Protocol.Tensors;
using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Tests.PredictionLogs;

/// <summary>
/// Records are written as wire bytes by hand (no message objects): the generated parser must read back exactly
/// what was predicted, and the bytes must be the ones the generated serializer writes for the same message.
/// </summary>
public sealed class RecordEncodingTests
{
    [Fact]
    public void NumericRecords_BytesAreWhatTheGeneratedSerializerWrites()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        shipper.Record(new PredictionContext("m", "1", "req-1", [Predictions.Fp32("x", [2, 3], 1, -2.5f, 0, 3e-8f, float.MaxValue, float.NaN)],
            [Predictions.Typed<long>("c", DataType.Int64, [2, 1], -1, long.MaxValue)], 12.75, "blue"));
        shipper.Record(new PredictionContext("m", "2", null, [Predictions.Fp32("x", [1, 3], 4, 5, 6)], [], 0, null));
        shipper.Record(new PredictionContext("m", "1", "req-3", [Predictions.Fp32("x", [1, 3], 7, 8, 9)], [Predictions.Typed<long>("c", DataType.Int64, [1, 1], 2)], -0.5, ""));

        Assert.True(shipper.Queue.TryTake(out var segment));
        var batch = PendingBatch.Of(segment!, shipper.Queue);
        batch.Sequence = 300; // a two-byte varint
        var bytes = batch.ToArray();
        var message = PredictionLogBatch.Parser.ParseFrom(bytes);

        Assert.Equal(message.ToByteArray(), bytes);
        Assert.Equal(300UL, message.Sequence);
        Assert.Equal(["1", "2"], message.Schemas.Select(s => s.Version));
        Assert.Equal([0, 0, 1, 0], message.Records.Select(r => r.Schema));
        Assert.Equal([4.0, 5, 6], message.Records[2].Features);
        Assert.Empty(message.Records[2].Outputs);
        Assert.Equal((string.Empty, 0.0, string.Empty), (message.Records[2].RequestId, message.Records[2].LatencyMs, message.Records[2].Arm));
        Assert.Equal([(double)3e-8f, float.MaxValue, double.NaN], message.Records[1].Features);
        Assert.Equal([(double)long.MaxValue], message.Records[1].Outputs);
        Assert.Equal(("req-3", -0.5), (message.Records[3].RequestId, message.Records[3].LatencyMs));
    }

    [Fact]
    public void TextFields_NonAsciiAndInvalidUtf8_ReadBackAsTheOldDecodingGaveThem()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        byte[] invalid = [0x41, 0xFF, 0x42];
        var city = InferTensor.Strings("city", [1, 2], [Encoding.UTF8.GetBytes("Zürich ✓"), invalid]);

        shipper.Record(new PredictionContext("m", "1", "réq-✓", [city, Predictions.Fp32("x", [1, 1], 1)], [], 1, "armé"));

        var (schema, record) = Assert.Single(Predictions.Drain(shipper));
        Assert.Equal("réq-✓", record.RequestId);
        Assert.Equal("armé", record.Arm);
        Assert.Equal("Zürich ✓", record.CategoricalFeatures["city[0]"]);
        Assert.Equal(Encoding.UTF8.GetString(invalid), record.CategoricalFeatures["city[1]"]); // "A\uFFFDB"
        Assert.Equal(["x[0]"], schema.FeatureNames);
    }

    [Fact]
    public void SeveralBytesInputsBetweenNumericOnes_EveryRowGetsItsOwnValuesUnderTheirKeys()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        static ReadOnlyMemory<byte>[] Texts(params string[] values) => [.. values.Select(v => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(v))];
        InferTensor[] inputs =
        [
            InferTensor.Strings("city", [2, 2], Texts("Oslo", "Bergen", "Kyoto", "Osaka")),
            Predictions.Fp32("x", [2, 1], 1, 2),
            InferTensor.Strings("empty", [2, 0], []),
            InferTensor.Strings("tag", [2, 1], Texts("a", "b")),
        ];

        shipper.Record(new PredictionContext("m", "1", null, inputs, [], 1, null));

        var records = Predictions.Drain(shipper).Select(r => r.Record).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(new Dictionary<string, string> { ["city[0]"] = "Oslo", ["city[1]"] = "Bergen", ["tag[0]"] = "a" }, records[0].CategoricalFeatures);
        Assert.Equal(new Dictionary<string, string> { ["city[0]"] = "Kyoto", ["city[1]"] = "Osaka", ["tag[0]"] = "b" }, records[1].CategoricalFeatures);
        Assert.Equal([2.0], records[1].Features);
    }

    [Fact]
    public void ManyLayoutsInOneBatch_SchemaIndexesPastOneByteStillPointAtTheirOwn()
    {
        var shipper = Predictions.Shipper(Predictions.Options(o => o.BatchSize = 1000), new PredictionLogStats());
        for (var v = 1; v <= 200; v++)
        {
            shipper.Record(Predictions.Rows(1, version: v.ToString(System.Globalization.CultureInfo.InvariantCulture), start: v));
        }

        var records = Predictions.Drain(shipper);
        Assert.Equal(200, records.Count);
        Assert.All(records, r => Assert.Equal(double.Parse(r.Schema.Version, System.Globalization.CultureInfo.InvariantCulture), r.Record.Features[0]));
    }

    [Fact]
    public void Record_WarmedUp_AllocatesNothing()
    {
        var shipper = Predictions.Shipper(Predictions.Options(o => o.BatchSize = 64), new PredictionLogStats());
        var prediction = Predictions.Rows(1, features: 30);

        // The first calls build the layout and the segments; then segments are reused once given back.
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 256; i++)
            {
                shipper.Record(prediction);
            }

            ReturnAll(shipper);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 256; i++)
        {
            shipper.Record(prediction);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(256, shipper.QueueLength);
        Assert.Equal(0, allocated);
    }

    private static void ReturnAll(PredictionLogShipper shipper)
    {
        while (shipper.Queue.TryTake(out var segment))
        {
            shipper.Queue.Return(segment!);
        }
    }
}
