using System.Text;
using Serving.Protocol.Tensors;
using Serving.Worker.PredictionLogs;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.PredictionLogs;

public sealed class PredictionLogShipperTests
{
    [Fact]
    public void Record_BatchedRequest_OneRecordPerRow_NumericInputsFlattenedInSignatureOrder()
    {
        var stats = new PredictionLogStats();
        var shipper = Predictions.Shipper(Predictions.Options(), stats);
        var a = Predictions.Fp32("a", [2, 2], 1, 2, 3, 4);
        var b = Predictions.Typed<long>("b", DataType.Int64, [2, 1], 10, 20);
        var y = Predictions.Fp32("y", [2, 3], 0.1f, 0.2f, 0.7f, 0.3f, 0.3f, 0.4f);

        shipper.Record(new PredictionContext("m", "1", "req-7", [a, b], [y], 4.5, "blue"));

        var records = Predictions.Drain(shipper);
        Assert.Equal(2, records.Count);
        Assert.Equal([1.0, 2, 10], records[0].Record.Features);
        Assert.Equal([3.0, 4, 20], records[1].Record.Features);
        Assert.Equal([0.3f, 0.3f, 0.4f], records[1].Record.Outputs.Select(v => (float)v));
        Assert.All(records, r =>
        {
            Assert.Equal("req-7", r.Record.RequestId);
            Assert.Equal("blue", r.Record.Arm);
            Assert.Equal(4.5, r.Record.LatencyMs);
            Assert.True(r.Record.TimestampUnixNanos > 0);
        });
        var schema = records[0].Schema;
        Assert.Same(schema, records[1].Schema);
        Assert.Equal(("m", "1"), (schema.Model, schema.Version));
        Assert.Equal(["a[0]", "a[1]", "b[0]"], schema.FeatureNames);
        Assert.Equal(["y"], schema.OutputNames);
        Assert.Equal([3], schema.OutputSizes);
        Assert.Equal(2, stats.Enqueued);
    }

    [Fact]
    public void Record_ReferenceProfileWithMatchingFeatureCount_NamesFeaturesFromIt()
    {
        using var repository = new TempDirectory();
        repository.Write("m/1/reference.json", """{"model":"m","version":"1","features":[{"name":"x"},{"name":"y"},{"name":"z"}]}""");
        repository.Write("m/2/reference.json", """{"model":"m","version":"2","features":[{"name":"x"},{"name":"y"}]}""");
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats(), repository.Path);

        shipper.Record(Predictions.Rows(1, features: 3, version: "1"));
        shipper.Record(Predictions.Rows(1, features: 3, version: "2"));

        var records = Predictions.Drain(shipper);
        Assert.Equal(["x", "y", "z"], records[0].Schema.FeatureNames);
        Assert.Equal(["input[0]", "input[1]", "input[2]"], records[1].Schema.FeatureNames);
    }

    [Fact]
    public void Record_ModelWithoutBatchDimension_TheWholeRequestIsOneRecord()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats(), batched: false);
        var x = Predictions.Fp32("x", [4], 1, 2, 3, 4);
        var y = Predictions.Fp32("y", [4], 2, 4, 6, 8);

        shipper.Record(new PredictionContext("fixed", "1", null, [x], [y], 1, null));

        var record = Assert.Single(Predictions.Drain(shipper));
        Assert.Equal([1.0, 2, 3, 4], record.Record.Features);
        Assert.Equal([2.0, 4, 6, 8], record.Record.Outputs);
        Assert.Equal([4], record.Schema.OutputSizes);
        Assert.Equal(string.Empty, record.Record.RequestId);
    }

    [Fact]
    public void Record_QueueFull_DropsAndCountsWithoutWaiting_TakesAgainOnceDrained()
    {
        var stats = new PredictionLogStats();
        var shipper = Predictions.Shipper(Predictions.Options(o => o.QueueCapacity = 3), stats);

        shipper.Record(Predictions.Rows(5));

        Assert.Equal(3, shipper.QueueLength);
        Assert.Equal(3, stats.Enqueued);
        Assert.Equal(2, stats.DroppedQueueFullCount);

        // Room is counted by the shipper itself: draining the queue must give it all back, again and again.
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(3, Predictions.Drain(shipper).Count);
            shipper.Record(Predictions.Rows(4));
            Assert.Equal(3, shipper.QueueLength);
        }

        Assert.Equal(12, stats.Enqueued);
        Assert.Equal(5, stats.DroppedQueueFullCount);
    }

    [Fact]
    public void Record_WideRowsPastQueueCapacityBytes_DropsAndCounts_TakesAgainOnceDrained()
    {
        var stats = new PredictionLogStats();
        var shipper = Predictions.Shipper(Predictions.Options(o => o.QueueCapacityBytes = 1024 * 1024), stats);

        // 20,000 FP32 values per row: about 160 KB per record, so about seven fit in 1 MiB.
        shipper.Record(Predictions.Rows(20, features: 20_000));

        Assert.InRange(shipper.QueueLength, 6, 8);
        Assert.InRange(shipper.QueuedBytes, 1024 * 1024, (1024 * 1024) + 170_000);
        Assert.Equal(20 - shipper.QueueLength, stats.DroppedQueueFullCount);
        Assert.Equal(shipper.QueueLength, stats.Enqueued);

        Predictions.Drain(shipper);
        Assert.Equal(0, shipper.QueuedBytes);
        shipper.Record(Predictions.Rows(2, features: 20_000));
        Assert.Equal(2, shipper.QueueLength);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public void Record_SampleRate_EveryRowIsEitherQueuedOrCountedSampledOut(double rate)
    {
        var stats = new PredictionLogStats();
        var shipper = Predictions.Shipper(Predictions.Options(o => o.SampleRate = rate), stats);

        for (var i = 0; i < 20; i++)
        {
            shipper.Record(Predictions.Rows(10));
        }

        Assert.Equal(200, stats.Enqueued + stats.SampledOut);
        Assert.Equal(stats.Enqueued, shipper.QueueLength);
        Assert.Equal(rate switch { 0.0 => 0L, 1.0 => 200L, _ => stats.Enqueued }, stats.Enqueued);
    }

    [Fact]
    public void Record_AfterComplete_CountsRowsAsStopped()
    {
        var stats = new PredictionLogStats();
        var shipper = Predictions.Shipper(Predictions.Options(), stats);
        shipper.Complete();

        shipper.Record(Predictions.Rows(4));

        Assert.Equal(0, stats.Enqueued);
        Assert.Equal(4, stats.DroppedStoppedCount);
    }

    [Fact]
    public void Record_CopiesTheValues_LaterChangesToTheTensorsDoNotShow()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        var data = new float[] { 1, 2, 3 };
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        var input = InferTensor.Fixed("input", DataType.FP32, [1, 3], bytes);

        shipper.Record(new PredictionContext("m", "1", null, [input], [], 1, null));
        Array.Clear(bytes);

        Assert.Equal([1.0, 2, 3], Assert.Single(Predictions.Drain(shipper)).Record.Features);
    }

    [Fact]
    public void Record_EveryNumericDatatype_BecomesDoubles()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        InferTensor[] inputs =
        [
            Predictions.Typed("h", DataType.FP16, [1, 2], (Half)1.5, (Half)(-2)),
            Predictions.Typed<ushort>("bf", DataType.BF16, [1, 1], 0x3FC0), // 1.5 in bfloat16
            Predictions.Typed<byte>("ok", DataType.Bool, [1, 2], 1, 0),
            Predictions.Typed<sbyte>("i8", DataType.Int8, [1, 1], -7),
            Predictions.Typed<ulong>("u64", DataType.UInt64, [1, 1], 1UL << 40),
            Predictions.Typed("f64", DataType.FP64, [1, 1], 0.1),
        ];

        shipper.Record(new PredictionContext("m", "1", null, inputs, [], 1, null));

        Assert.Equal([1.5, -2, 1.5, 1, 0, -7, 1UL << 40, 0.1], Assert.Single(Predictions.Drain(shipper)).Record.Features);
    }

    [Fact]
    public void Record_SchemaFlagsTheSinglePrecisionFeaturesAndOutputs()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        var city = InferTensor.Strings("city", [1, 1], [Encoding.UTF8.GetBytes("Oslo")]);
        InferTensor[] inputs =
        [
            Predictions.Fp32("x", [1, 2], 0.1f, 0.2f),
            city,
            Predictions.Typed<long>("n", DataType.Int64, [1, 1], 3),
            Predictions.Typed("h", DataType.FP16, [1, 1], (Half)1.5),
            Predictions.Typed<ushort>("bf", DataType.BF16, [1, 1], 0x3FC0),
            Predictions.Typed("f64", DataType.FP64, [1, 1], 0.1),
        ];
        InferTensor[] outputs = [Predictions.Fp32("p", [1, 2], 0.3f, 0.7f), Predictions.Typed<long>("class", DataType.Int64, [1, 1], 1)];

        shipper.Record(new PredictionContext("m", "1", null, inputs, outputs, 1, null));

        var schema = Assert.Single(Predictions.Drain(shipper)).Schema;
        Assert.Equal([true, true, false, true, true, false], schema.FeatureSinglePrecision);
        Assert.Equal([true, false], schema.OutputSinglePrecision);
    }

    [Fact]
    public void Record_NoSinglePrecisionTensor_NoFlags()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());

        shipper.Record(new PredictionContext("m", "1", null, [Predictions.Typed("f64", DataType.FP64, [1, 1], 0.1)], [Predictions.Typed<long>("c", DataType.Int64, [1, 1], 1)], 1, null));

        var schema = Assert.Single(Predictions.Drain(shipper)).Schema;
        Assert.Empty(schema.FeatureSinglePrecision);
        Assert.Empty(schema.OutputSinglePrecision);
    }

    [Fact]
    public void Record_BytesInput_GoesToCategoricalFeatures()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        var city = InferTensor.Strings("city", [2, 1], [Encoding.UTF8.GetBytes("Oslo"), Encoding.UTF8.GetBytes("Kyoto")]);
        var x = Predictions.Fp32("x", [2, 1], 1, 2);

        shipper.Record(new PredictionContext("m", "1", null, [city, x], [], 1, null));

        var records = Predictions.Drain(shipper);
        Assert.Equal(["x[0]"], records[0].Schema.FeatureNames);
        Assert.Equal("Oslo", records[0].Record.CategoricalFeatures["city[0]"]);
        Assert.Equal("Kyoto", records[1].Record.CategoricalFeatures["city[0]"]);
        Assert.Equal([2.0], records[1].Record.Features);
    }

    [Fact]
    public void Record_ProfileNamingEveryColumn_NamesCategoricalFeaturesToo()
    {
        using var repository = new TempDirectory();
        repository.Write("m/1/reference.json", """{"features":[{"name":"city"},{"name":"age"},{"name":"income"}]}""");
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats(), repository.Path);
        var city = InferTensor.Strings("city", [1, 1], [Encoding.UTF8.GetBytes("Oslo")]);
        var x = Predictions.Fp32("x", [1, 2], 41, 1000);

        shipper.Record(new PredictionContext("m", "1", null, [city, x], [], 1, null));

        var record = Assert.Single(Predictions.Drain(shipper));
        Assert.Equal(["age", "income"], record.Schema.FeatureNames);
        Assert.Equal("Oslo", record.Record.CategoricalFeatures["city"]);
    }

    [Fact]
    public void Record_RequestAskingForOtherOutputs_GetsItsOwnSchema()
    {
        var shipper = Predictions.Shipper(Predictions.Options(), new PredictionLogStats());
        var input = Predictions.Fp32("input", [1, 1], 1);
        var p = Predictions.Fp32("p", [1, 2], 0.5f, 0.5f);
        var c = Predictions.Typed<long>("class", DataType.Int64, [1, 1], 1);

        shipper.Record(new PredictionContext("m", "1", null, [input], [p, c], 1, null));
        shipper.Record(new PredictionContext("m", "1", null, [input], [c], 1, null));
        shipper.Record(new PredictionContext("m", "1", null, [input], [p, c], 1, null));

        var records = Predictions.Drain(shipper);
        Assert.Equal(["p", "class"], records[0].Schema.OutputNames);
        Assert.Equal(["class"], records[1].Schema.OutputNames);
        Assert.Same(records[0].Schema, records[2].Schema);
    }

    [Fact]
    public void Record_TensorThatCannotBeRead_IsCountedNeverThrown()
    {
        var stats = new PredictionLogStats();
        var shipper = Predictions.Shipper(Predictions.Options(), stats);
        var truncated = InferTensor.Fixed("input", DataType.FP32, [2, 3], new byte[8]);

        shipper.Record(new PredictionContext("m", "1", null, [truncated], [], 1, null));

        Assert.Equal(1, stats.DroppedErrorCount);
        Assert.Equal(0, shipper.QueueLength);
    }
}
