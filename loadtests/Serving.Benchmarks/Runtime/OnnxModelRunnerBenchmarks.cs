using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serving.Benchmarks.Support;
using Serving.Protocol.Tensors;
using Serving.Worker.Configuration;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Benchmarks.Runtime;

/// <summary>
/// <see cref="OnnxModelRunner.Run"/> on the tabular model (its highest version), loaded the way the worker loads it
/// (its model.yaml, the worker's session factory: CPU, spinning off): wrap inputs, <c>session.Run</c>, copy outputs.
/// </summary>
[MemoryDiagnoser]
public class OnnxModelRunnerBenchmarks
{
    private OnnxModelRunner _runner = null!;
    private InferTensor[] _inputs = null!;

    /// <summary>Rows per run.</summary>
    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var modelDir = Path.Combine(Samples.RepositoryRoot(), "models", "tabular");
        var version = Directory.EnumerateDirectories(modelDir).Select(Path.GetFileName).Where(d => long.TryParse(d, out _)).Max(d => long.Parse(d!));
        var path = Path.Combine(modelDir, version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx");
        var config = ModelConfigLoader.Load("tabular", ModelConfigLoader.Find(modelDir)!);
        var factory = new OnnxSessionFactory(Options.Create(new RuntimeOptions { ExecutionProvider = "cpu" }), NullLogger<OnnxSessionFactory>.Instance);
        var session = factory.Create("tabular", version, path, config.Runtime, out var provider);
        _runner = new OnnxModelRunner(session, SignatureBuilder.Build("tabular", version, config, session), provider);
        _runner.WarmUp();
        _inputs = [Samples.Fp32("input", Batch, Samples.Features)];
    }

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();

    /// <summary>One run; the pooled outputs go back to the pool.</summary>
    [Benchmark]
    public int Run()
    {
        var outputs = _runner.Run(_inputs, _runner.Signature.OutputNames);
        foreach (var output in outputs)
        {
            output.Dispose();
        }

        return outputs.Count;
    }
}
