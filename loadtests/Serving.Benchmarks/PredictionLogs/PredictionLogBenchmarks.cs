using System.Buffers;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serving.Benchmarks.Support;
using Serving.Protocol.Tensors;
using Serving.Worker.PredictionLogs;

namespace Serving.Benchmarks.PredictionLogs;

/// <summary>
/// The worker's side of prediction logging for tabular traffic (one row of 30 FP32 features, probabilities [1, 2]):
/// what a predict call pays to log its row (<see cref="Record"/>), and that plus the sender's share, turning queued
/// records into a batch's wire bytes (<see cref="RecordAndShip"/>, per record, batches of 512).
/// </summary>
[MemoryDiagnoser]
public class PredictionLogBenchmarks
{
    private const int Batch = 512;
    private readonly ArrayBufferWriter<byte> _wire = new(1 << 20);
    private PredictionLogShipper _shipper = null!;
    private PredictionContext _prediction;

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new PredictionLogOptions { Endpoint = "http://127.0.0.1:1", QueueCapacity = 1 << 20 });
        var schemas = new RecordSchemaCache((_, _) => true, Path.Combine(Path.GetTempPath(), "no-repository"));
        _shipper = new PredictionLogShipper(schemas, new PredictionLogStats(), options, NullLogger<PredictionLogShipper>.Instance);
        InferTensor[] outputs = [Samples.Fp32("probabilities", 1, 2)];
        _prediction = new PredictionContext("tabular", "2", "0f8fad5b-d9cb-469f-a165-70867728950e", [Samples.Fp32("input", 1, Samples.Features)], outputs, 1.25, null);
    }

    /// <summary>One predict call's logging: the row written as a record's bytes into the queue (emptied between iterations).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Record()
    {
        RecordBatch();
        var records = 0;
        while (_shipper.Queue.TryTake(out var segment))
        {
            records += segment!.Records;
            _shipper.Queue.Return(segment);
        }

        return records;
    }

    /// <summary>Per record: queued by the predict call, then taken by the sender as a batch and written as the message's wire bytes.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int RecordAndShip()
    {
        RecordBatch();
        var records = 0;
        while (_shipper.Queue.TryTake(out var segment))
        {
            var batch = PendingBatch.Of(segment!, _shipper.Queue);
            batch.Sequence = 1;
            _wire.ResetWrittenCount();
            batch.WriteTo(_wire);
            records += batch.Count;
            batch.Release();
        }

        return records;
    }

    private void RecordBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            _shipper.Record(_prediction);
        }
    }
}
