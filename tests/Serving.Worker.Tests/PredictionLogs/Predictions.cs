using System.Runtime.InteropServices;
using Serving.Protocol.PredictionLogs;
using Serving.Protocol.Tensors;
using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Tests.PredictionLogs;

/// <summary>Hand-made predictions and shippers for the prediction-log tests.</summary>
internal static class Predictions
{
    public static InferTensor Fp32(string name, long[] shape, params float[] values) =>
        InferTensor.Fixed(name, DataType.FP32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static InferTensor Typed<T>(string name, DataType type, long[] shape, params T[] values)
        where T : unmanaged =>
        InferTensor.Fixed(name, type, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A tabular-like prediction: <paramref name="rows"/> rows of <paramref name="features"/> FP32 values, probabilities [rows, 2].</summary>
    public static PredictionContext Rows(int rows, int features = 3, string model = "m", string version = "1", float start = 0)
    {
        var input = Enumerable.Range(0, rows * features).Select(i => start + i).ToArray();
        var output = Enumerable.Range(0, rows).SelectMany(r => new[] { 0.25f, 0.75f }).ToArray();
        return new PredictionContext(model, version, "req", [Fp32("input", [rows, features], input)], [Fp32("probabilities", [rows, 2], output)], 2.5, "arm-a");
    }

    public static PredictionLogOptions Options(Action<PredictionLogOptions>? configure = null)
    {
        var options = new PredictionLogOptions { Endpoint = "http://127.0.0.1:1" };
        configure?.Invoke(options);
        return options;
    }

    public static PredictionLogShipper Shipper(PredictionLogOptions options, PredictionLogStats stats, string? repositoryRoot = null, bool batched = true) =>
        new(
            new RecordSchemaCache((_, _) => batched, repositoryRoot ?? Path.Combine(Path.GetTempPath(), "no-repository-" + Guid.NewGuid().ToString("N"))),
            stats,
            Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PredictionLogShipper>.Instance);

    /// <summary>
    /// Takes every queued record, as the drift monitor will read it: each batch's wire bytes parsed with the generated
    /// parser, each record with the schema its index points at (one schema object per batch and layout).
    /// </summary>
    public static List<(RecordSchema Schema, PredictionRecord Record)> Drain(PredictionLogShipper shipper)
    {
        var records = new List<(RecordSchema, PredictionRecord)>();
        while (shipper.Queue.TryTake(out var segment))
        {
            var batch = PendingBatch.Of(segment!, shipper.Queue);
            var message = PredictionLogBatch.Parser.ParseFrom(batch.ToArray());
            Assert.Equal(batch.Count, message.Records.Count);
            batch.Release();
            records.AddRange(message.Records.Select(r => (message.Schemas[r.Schema], r)));
        }

        return records;
    }
}
