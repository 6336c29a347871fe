using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// One ingest run: <see cref="DriftBenchOptions.Streams"/> streams push pre-serialized batches at a sidecar as fast
/// as it acknowledges them, for the warmup and then the measured window (or record count); the result is checked
/// against the sidecar's own count and the lines in its archive.
/// </summary>
internal static class IngestLoad
{
    /// <summary>Runs against <paramref name="sidecar"/> and returns what it measured (with the error, if the run broke).</summary>
    public static async Task<IngestResult> RunAsync(
        DriftSidecar sidecar, string label, byte[][] bodies, DriftBenchOptions options, DriftBenchProgress progress, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(sidecar.Endpoint, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
            MaxSendMessageSize = null,
        });
        var start = Timestamps.Now;
        var meter = new IngestMeter(start + Timestamps.FromTimeSpan(options.IngestWarmup), options.IngestRecords);
        var cpuBefore = CpuSample.Take();
        using var ticking = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ticker = TickAsync(meter, start, options, progress, ticking.Token);
        string? error = null;
        try
        {
            var streams = Enumerable.Range(0, options.Streams)
                .Select(_ => IngestStream.RunAsync(channel, bodies, options.BatchSize, options.MaxUnackedBatches, meter, cancellationToken))
                .ToArray();
            await Task.WhenAll(streams);
        }
        catch (Exception e) when (e is RpcException or LoadTestException or IOException or HttpRequestException)
        {
            meter.Stop(Timestamps.Now);
            error = e is RpcException rpc ? $"gRPC {rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
        }
        finally
        {
            await ticking.CancelAsync();
            await ticker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var cpu = CpuSample.Take().Since(cpuBefore);
        var seconds = meter.MeasuredSeconds(Timestamps.Now);
        var archive = sidecar.CountArchive();
        return new IngestResult(
            label,
            sidecar.FlushToDisk,
            options.Streams,
            options.BatchSize,
            options.MaxUnackedBatches,
            Math.Round(seconds, 3),
            meter.Measured,
            seconds > 0 ? Math.Round(meter.Measured / seconds) : 0,
            Math.Round(bodies.Average(b => (double)b.Length) / options.BatchSize, 1),
            meter.Batches,
            meter.Acked,
            meter.Rejected,
            sidecar.Archived,
            sidecar.Scored,
            archive,
            Latency(meter.AckLatency),
            Math.Round(cpu.ProcessCores, 2),
            double.IsNaN(cpu.OtherCores) ? null : Math.Round(cpu.OtherCores, 2),
            meter.Acked > 0 ? Math.Round(cpu.ProcessCores * cpu.WallSeconds * 1e6 / meter.Acked, 1) : 0,
            error);
    }

    private static LatencySummary Latency(LatencyRecorder recorder)
    {
        recorder.TakeInterval();
        return LatencySummary.From(recorder.Cumulative);
    }

    // Ends the window on time and shows the rate once a second.
    private static async Task TickAsync(IngestMeter meter, long start, DriftBenchOptions options, DriftBenchProgress progress, CancellationToken cancellationToken)
    {
        var end = start + Timestamps.FromTimeSpan(options.IngestWarmup + options.IngestDuration);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        long lastAcked = 0, lastAt = start, shownAt = start;
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var now = Timestamps.Now;
            if (now >= end)
            {
                meter.Stop(now);
            }

            if (Timestamps.ToSeconds(now - shownAt) >= 1)
            {
                var acked = meter.Acked;
                var phase = meter.Stopped ? "drain" : now < start + Timestamps.FromTimeSpan(options.IngestWarmup) ? "warmup" : "measure";
                progress.Ingest(TimeSpan.FromSeconds(Timestamps.ToSeconds(now - start)), phase, (acked - lastAcked) / Timestamps.ToSeconds(now - lastAt), acked);
                (lastAcked, lastAt, shownAt) = (acked, now, now);
            }
        }
    }
}
