using HdrHistogram;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Baselines.RawOrt;

/// <summary>
/// Calls <c>session.Run</c> in a loop from one thread (or several at once, each with its own buffers) with inputs and
/// outputs allocated once (OrtValue API), so the figure is ONNX Runtime's alone: no network, no codecs, no allocation per run.
/// </summary>
internal static class RawOrtBenchmark
{
    /// <summary>Measures each batch size in turn.</summary>
    public static RawOrtReport Run(RawOrtOptions options, CancellationToken cancellationToken)
    {
        if (!File.Exists(options.ModelPath))
        {
            throw LoadTestException.Usage($"--model '{options.ModelPath}' does not exist");
        }

        using var session = OrtSessions.Create(options.ModelPath, options.IntraOpThreads, allowSpinning: false);
        var results = new List<RawOrtResult>();
        foreach (var batch in options.Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(Measure(session, batch, options, cancellationToken));
        }

        return new RawOrtReport(Path.GetFullPath(options.ModelPath), options.IntraOpThreads, results);
    }

    private static RawOrtResult Measure(InferenceSession session, int batch, RawOrtOptions options, CancellationToken cancellationToken)
    {
        var callers = Math.Max(1, options.Callers);
        var inputNames = session.InputMetadata.Keys.ToArray();
        var outputNames = session.OutputMetadata.Keys.ToArray();
        var values = new List<OrtValue>();
        try
        {
            // Each caller has its own inputs and outputs, as each model instance has its own batch buffers.
            var runs = new (OrtValue[] Inputs, OrtValue[] Outputs)[callers];
            for (var i = 0; i < callers; i++)
            {
                runs[i] = (inputNames.Select(n => CreateInput(n, session.InputMetadata[n], batch)).ToArray(),
                    outputNames.Select(n => CreateOutput(n, session.OutputMetadata[n], batch)).ToArray());
                values.AddRange(runs[i].Inputs.Concat(runs[i].Outputs));
            }

            var histograms = runs.Select(_ => new LongHistogram(1, 60_000_000, 3)).ToArray();
            var counts = new (long Runs, double Seconds)[callers];
            void RunAll(TimeSpan duration, bool measured) => Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, i =>
            {
                using var runOptions = new RunOptions();
                var counted = RunFor(duration, session, runOptions, inputNames, runs[i].Inputs, outputNames, runs[i].Outputs, measured ? histograms[i] : null, cancellationToken);
                if (measured)
                {
                    counts[i] = counted;
                }
            });

            RunAll(options.Warmup, measured: false);
            var cpuBefore = CpuSample.Take();
            RunAll(options.Duration, measured: true);
            var cpu = CpuSample.Take().Since(cpuBefore);
            var histogram = histograms[0];
            for (var i = 1; i < callers; i++)
            {
                histogram.Add(histograms[i]);
            }

            var total = counts.Sum(c => c.Runs);
            var seconds = counts.Max(c => c.Seconds);
            var runsPerSecond = seconds > 0 ? counts.Sum(c => c.Seconds > 0 ? c.Runs / c.Seconds : 0) : 0;
            return new RawOrtResult(
                batch, total, Math.Round(seconds, 3), Math.Round(runsPerSecond, 1), Math.Round(runsPerSecond * batch, 1),
                Math.Round(histogram.GetMean(), 1), histogram.GetValueAtPercentile(50), histogram.GetValueAtPercentile(99),
                total > 0 ? Math.Round(cpu.ProcessCores * cpu.WallSeconds * 1e6 / (total * (double)batch), 2) : 0,
                callers, options.IntraOpThreads);
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    private static (long Runs, double Seconds) RunFor(
        TimeSpan duration, InferenceSession session, RunOptions runOptions, string[] inputNames, OrtValue[] inputs,
        string[] outputNames, OrtValue[] outputs, HistogramBase? histogram, CancellationToken cancellationToken)
    {
        var start = Timestamps.Now;
        var end = start + Timestamps.FromTimeSpan(duration);
        long runs = 0;
        var now = start;
        while (now < end && !cancellationToken.IsCancellationRequested)
        {
            session.Run(runOptions, inputNames, inputs, outputNames, outputs);
            var after = Timestamps.Now;
            histogram?.RecordValue(Math.Clamp(Timestamps.ToMicros(after - now), 1, 60_000_000));
            now = after;
            runs++;
        }

        return (runs, Timestamps.ToSeconds(now - start));
    }

    private static OrtValue CreateInput(string name, NodeMetadata metadata, int batch)
    {
        if (metadata.ElementDataType != TensorElementType.Float)
        {
            throw LoadTestException.Usage($"input '{name}' is {metadata.ElementDataType}; raw-ort generates FP32 inputs only");
        }

        var shape = Shape(name, metadata, batch);
        var data = new float[checked((int)ShapeUtils.GetSizeForShape(shape))];
        var random = new Random(7);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle();
        }

        return OrtValue.CreateTensorValueFromMemory(data, shape);
    }

    // Outputs are allocated once and written in place by every run.
    private static OrtValue CreateOutput(string name, NodeMetadata metadata, int batch) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, metadata.ElementDataType, Shape(name, metadata, batch));

    private static long[] Shape(string name, NodeMetadata metadata, int batch)
    {
        var dims = metadata.Dimensions;
        var shape = new long[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            shape[i] = dims[i] >= 0 ? dims[i] : i == 0 ? batch : throw LoadTestException.Usage(
                $"'{name}' has a variable dimension {i} besides the batch; raw-ort cannot size it");
        }

        if (batch != 1 && (dims.Length == 0 || dims[0] >= 0))
        {
            throw LoadTestException.Usage($"'{name}' has no variable batch dimension, so batch {batch} cannot be run");
        }

        return shape;
    }
}
