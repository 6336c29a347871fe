using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Generator;

/// <summary>The generator's entry point, for the <c>run</c> command and for in-process benches.</summary>
internal static class LoadRunner
{
    /// <summary>
    /// Loads <paramref name="target"/> as <paramref name="profile"/> says and returns the report. The request is
    /// built and checked once before any load is sent; <paramref name="cancellationToken"/> ends the run early
    /// (the report still covers what was measured).
    /// </summary>
    public static async Task<LoadReport> RunAsync(
        LoadTarget target, LoadProfile profile, CancellationToken cancellationToken, IProgress<LoadProgress>? progress = null)
    {
        CheckTarget(target);

        // A profile that cannot run is the command line's mistake: said before the target is asked anything, not after
        // "could not reach" when nothing listens there.
        profile.Validate();
        ConnectionBudget.Check(target.Protocol, profile.Callers, profile.Mode == LoadMode.Open ? "--max-in-flight" : "--concurrency", ConnectionBudget.OpenFileLimit());
        var payload = await PayloadResolver.ResolveAsync(target, cancellationToken);
        return await RunAsync(target, payload, profile, cancellationToken, progress);
    }

    /// <summary>As above with a request built beforehand, so several targets receive exactly the same bytes.</summary>
    public static async Task<LoadReport> RunAsync(
        LoadTarget target, InferPayload payload, LoadProfile profile, CancellationToken cancellationToken, IProgress<LoadProgress>? progress = null)
    {
        CheckTarget(target);
        profile.Validate();
        using var client = InferClientFactory.Create(target, payload, profile.EffectiveConnections, profile.Callers);
        if (await client.PreflightAsync(cancellationToken) is { } problem)
        {
            throw new LoadTestException($"the first request to {target.Address} failed, so no load was sent: {problem}");
        }

        var startedAt = DateTimeOffset.UtcNow;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var cpuBefore = CpuSample.Take();
        var gcBefore = GcSample.Take();
        var start = Timestamps.Now;
        var measurement = new LoadMeasurement(start + Timestamps.FromTimeSpan(profile.Warmup), recordServiceTime: profile.Mode == LoadMode.Open);
        using var control = RunControl.For(profile, cancellationToken, measurement);
        var monitor = ProgressMonitor.Start(measurement, control, start, progress);
        long end;
        long allocated;
        CpuUsage cpu;
        GcUsage gc;
        try
        {
            await (profile.Mode == LoadMode.Closed
                ? ClosedLoopDriver.RunAsync(client, profile.Concurrency, measurement, control)
                : OpenLoopDriver.RunAsync(client, profile, measurement, control, start));
            end = Timestamps.Now;
            allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
            cpu = CpuSample.Take().Since(cpuBefore);
            gc = GcSample.Take().Since(gcBefore);
        }
        finally
        {
            await monitor.StopAsync();
        }

        var report = LoadReportBuilder.Build(target, profile, payload, client, measurement, monitor.Timeline, startedAt, end);
        var completed = measurement.Completed;
        return report with
        {
            StoppedEarly = control.InterruptedAt is { } at ? StoppedEarly(profile, Timestamps.ToSeconds(at - start), report.MeasuredSeconds) : null,
            AllocatedBytesPerCall = completed > 0 ? allocated / completed : 0,
            ProcessCpuCores = Math.Round(cpu.ProcessCores, 2),
            OtherCpuCores = double.IsNaN(cpu.OtherCores) ? null : Math.Round(cpu.OtherCores, 2),
            ProcessCpuMicrosPerCall = completed > 0 ? Math.Round(cpu.ProcessCores * cpu.WallSeconds * 1e6 / completed, 1) : 0,
            Gc = gc,
        };
    }

    private static string StoppedEarly(LoadProfile profile, double seconds, double measured) =>
        FormattableString.Invariant(
            $"cancelled (Ctrl+C, SIGTERM or a time bound) {seconds:0.0} s into a run of {profile.Warmup.TotalSeconds:0.#} s warmup + {profile.Duration.TotalSeconds:0.#} s; ")
        + (measured > 0
            ? FormattableString.Invariant($"the figures cover the {measured:0.00} s measured until then")
            : "still in the warmup, so nothing was measured");

    private static void CheckTarget(LoadTarget target)
    {
        if (target.Address.Scheme != Uri.UriSchemeHttp || !LoopbackGuard.IsLoopback(target.Address))
        {
            throw new LoadTestException($"target {target.Address} is not an http:// loopback address");
        }
    }
}
