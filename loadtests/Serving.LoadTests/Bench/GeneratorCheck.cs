using Serving.LoadTests.Generator;
using Serving.LoadTests.H2Load;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Bench;

/// <summary>
/// Runs h2load (a C generator in another process) and then our generator, with each gRPC client, against the
/// running echo server, measuring the CPU each side used, so the report says how much of the machine the
/// generator takes.
/// </summary>
internal static class GeneratorCheck
{
    /// <summary>The check; never throws for a missing or failing h2load, it notes it instead.</summary>
    public static async Task<GeneratorCheckResult> RunAsync(
        Uri echo, InferPayload payload, int concurrency, BenchOptions options, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        var connections = new LoadProfile { Concurrency = concurrency }.EffectiveConnections;
        var streams = (int)Math.Ceiling(concurrency / (double)connections);
        var seconds = (int)Math.Ceiling(options.Duration.TotalSeconds);
        var profile = new LoadProfile
        {
            Mode = LoadMode.Closed,
            Concurrency = connections * streams,
            Connections = connections,
            Duration = TimeSpan.FromSeconds(seconds),
            Warmup = options.Warmup,
        };
        var ours = new List<LoadReport>();
        foreach (var client in new[] { options.GrpcClient }.Concat(Enum.GetValues<GrpcClientKind>().Where(k => k != options.GrpcClient)))
        {
            var target = new LoadTarget(echo, TargetProtocol.Grpc, payload.Model, payload.ModelVersion, GrpcClient: client);
            ours.Add(await LoadRunner.RunAsync(target, payload, profile, cancellationToken, progress));
        }

        if (!options.H2LoadCheck)
        {
            return new GeneratorCheckResult(payload.Model, connections, streams, seconds, null, 0, 0, ours, "h2load check skipped (--no-h2load)");
        }

        if (H2LoadRunner.Find() is not { } h2load)
        {
            return new GeneratorCheckResult(payload.Model, connections, streams, seconds, null, 0, 0, ours, "h2load is not installed (apt-get install nghttp2-client)");
        }

        var body = await GrpcBodyFile.WriteAsync(GrpcPayloadEncoder.Encode(payload), cancellationToken);
        try
        {
            var before = CpuSample.Take();
            var output = await H2LoadRunner.RunAsync(h2load, new Uri(echo, "inference.GRPCInferenceService/ModelInfer"), body, connections, streams, seconds, cancellationToken);
            var cpu = CpuSample.Take().Since(before);
            return H2LoadOutputParser.Parse(output) is { } result
                ? new GeneratorCheckResult(payload.Model, connections, streams, seconds, result, Math.Round(cpu.ChildCores, 3), Math.Round(cpu.ProcessCores, 3), ours, null)
                : new GeneratorCheckResult(payload.Model, connections, streams, seconds, null, 0, 0, ours, "cannot read h2load's output: " + output.ReplaceLineEndings(" "));
        }
        catch (LoadTestException e)
        {
            return new GeneratorCheckResult(payload.Model, connections, streams, seconds, null, 0, 0, ours, e.Message);
        }
        finally
        {
            File.Delete(body);
        }
    }
}
