using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// <see cref="LoadRunner"/>'s closed model with a <see cref="RotatingInferClient"/>: the same driver, measurement,
/// progress and report, but each caller walks its own entities instead of repeating one request.
/// </summary>
internal static class FeatureLoadRunner
{
    /// <summary>Loads <paramref name="target"/> with <paramref name="payloads"/> as <paramref name="profile"/> (closed model) says.</summary>
    public static async Task<LoadReport> RunAsync(
        LoadTarget target, IReadOnlyList<InferPayload> payloads, LoadProfile profile, CancellationToken cancellationToken, IProgress<LoadProgress>? progress = null)
    {
        profile.Validate();
        if (profile.Mode != LoadMode.Closed)
        {
            throw new LoadTestException("the feature bench runs the closed model only");
        }

        using var client = new RotatingInferClient(target.Address, payloads, target.GrpcClient, profile.EffectiveConnections, profile.Concurrency);
        if (await client.PreflightAsync(cancellationToken) is { } problem)
        {
            throw new LoadTestException($"the first request to {target.Address} failed, so no load was sent: {problem}");
        }

        var startedAt = DateTimeOffset.UtcNow;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var cpuBefore = CpuSample.Take();
        var start = Timestamps.Now;
        var measurement = new LoadMeasurement(start + Timestamps.FromTimeSpan(profile.Warmup), recordServiceTime: false);
        using var control = RunControl.For(profile, cancellationToken, measurement);
        var monitor = ProgressMonitor.Start(measurement, control, start, progress);
        long end;
        long allocated;
        CpuUsage cpu;
        try
        {
            await ClosedLoopDriver.RunAsync(client, profile.Concurrency, measurement, control);
            end = Timestamps.Now;
            allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
            cpu = CpuSample.Take().Since(cpuBefore);
        }
        finally
        {
            await monitor.StopAsync();
        }

        var report = LoadReportBuilder.Build(target, profile, payloads[0], client, measurement, monitor.Timeline, startedAt, end);
        var completed = measurement.Completed;
        return report with
        {
            AllocatedBytesPerCall = completed > 0 ? allocated / completed : 0,
            ProcessCpuCores = Math.Round(cpu.ProcessCores, 2),
            OtherCpuCores = double.IsNaN(cpu.OtherCores) ? null : Math.Round(cpu.OtherCores, 2),
            ProcessCpuMicrosPerCall = completed > 0 ? Math.Round(cpu.ProcessCores * cpu.WallSeconds * 1e6 / completed, 1) : 0,
        };
    }
}
