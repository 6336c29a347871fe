using System.Collections.Concurrent;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.Generator;

/// <summary>
/// The open model against a real Kestrel server (127.0.0.1, port 0) that stalls: it holds a run of requests
/// and answers them only once the whole run has arrived, which only a generator that keeps sending on
/// schedule while earlier calls are outstanding can bring about.
/// </summary>
public sealed class StalledServerTests
{
    private const int FirstHeld = 50;
    private const int Held = 20;

    [Fact]
    public async Task OpenModel_ServerStalls_HeldRequestsRecordTheirWaitFromTheIntendedSendTime()
    {
        var stall = new Stall(FirstHeld, Held);
        await using var server = await BaselineHost.StartAsync(
            BaselinePorts.Any,
            _ => { },
            app => app.MapPost("/v2/models/{model}/infer", async (HttpContext context) =>
            {
                await stall.PassAsync();
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{}");
            }),
            owned: null,
            CancellationToken.None);
        var profile = new LoadProfile
        {
            Mode = LoadMode.Open,
            Rate = 1_000,
            Warmup = TimeSpan.Zero,
            Duration = TimeSpan.FromMilliseconds(300),
            WakeInterval = TimeSpan.Zero,
        };
        profile.Validate();
        var payload = new InferPayload("m", string.Empty, [RandomTensorFactory.Create(new TensorSpec("input", "FP32", [1, 4]), 1, new Random(1))]);
        using var client = InferClientFactory.Create(new LoadTarget(server.Http1Address, TargetProtocol.RestJson, "m"), payload, 1, profile.MaxInFlight);
        LoadMeasurement measurement;
        try
        {
            // A first run without the stall warms both ends (JIT, connections), so the measured run is not saturated by start-up.
            Assert.Null(await client.PreflightAsync(CancellationToken.None));
            await RunAsync(client, profile);
            stall.Arm();
            measurement = await RunAsync(client, profile);
        }
        finally
        {
            stall.Dispose(); // nothing stays held when the run failed
        }

        // Every scheduled request was sent and answered: the stall hid none of them.
        Assert.True(measurement.Failures.Total == 0, $"failures: {string.Join(", ", measurement.Failures.Snapshot())}; {client.Errors}; {measurement.FirstClientError}");
        Assert.True(stall.Released, "the server never saw the whole held run arrive");
        Assert.Equal(measurement.Completed, measurement.Succeeded);
        measurement.Latency.TakeInterval();
        measurement.ServiceTime!.TakeInterval();
        var latency = measurement.Latency.Cumulative;
        var service = measurement.ServiceTime.Cumulative;

        // Each held request waited at the server from its arrival to the release; the k-th longest of those waits
        // must be matched by at least k recorded latencies at least as long.
        var waits = stall.Waits().OrderDescending().ToArray();
        Assert.Equal(Held, waits.Length);
        for (var k = 0; k < waits.Length; k++)
        {
            var atLeast = CountAtLeast(latency, waits[k]);
            Assert.True(atLeast >= k + 1, $"only {atLeast} recorded latencies reach the {k + 1}-th longest hold ({waits[k]} µs)");
        }

        // Measured from the intended send time, every latency holds the service time (from the actual send) and the
        // wait before the send as well: never shorter at any percentile, and longer in total.
        foreach (var percentile in (double[])[50, 90, 99, 100])
        {
            Assert.True(
                latency.GetValueAtPercentile(percentile) >= service.GetValueAtPercentile(percentile),
                $"p{percentile}: {latency.GetValueAtPercentile(percentile)} µs from the intended send, {service.GetValueAtPercentile(percentile)} µs from the actual send");
        }

        Assert.Equal(service.TotalCount, latency.TotalCount);
        Assert.True(Total(latency) > Total(service), $"latency from the intended send ({Total(latency)} µs in all) is not longer than from the actual send ({Total(service)} µs)");
    }

    private static async Task<LoadMeasurement> RunAsync(IInferClient client, LoadProfile profile)
    {
        var start = Timestamps.Now;
        var measurement = new LoadMeasurement(start, recordServiceTime: true);
        using var control = RunControl.For(profile, CancellationToken.None, measurement);
        await OpenLoopDriver.RunAsync(client, profile, measurement, control, start);
        return measurement;
    }

    private static long CountAtLeast(HistogramBase histogram, long micros) =>
        histogram.RecordedValues().Where(v => v.ValueIteratedTo >= micros).Sum(v => v.CountAtValueIteratedTo);

    private static long Total(HistogramBase histogram) =>
        histogram.RecordedValues().Sum(v => v.ValueIteratedTo * v.CountAtValueIteratedTo);

    /// <summary>Once armed, holds arrivals <c>first</c> to <c>first + count - 1</c> until the last of them arrives, noting when each arrived.</summary>
    private sealed class Stall(int first, int count) : IDisposable
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentBag<long> _heldAt = [];
        private int _arrivals;
        private long _releasedAt;
        private volatile bool _armed;

        /// <summary>True once the whole held run arrived (not merely released at dispose).</summary>
        public bool Released => Volatile.Read(ref _releasedAt) != 0;

        public void Arm() => _armed = true;

        public void Dispose() => _released.TrySetResult();

        public async Task PassAsync()
        {
            if (!_armed)
            {
                return;
            }

            var n = Interlocked.Increment(ref _arrivals);
            if (n < first || n >= first + count)
            {
                return;
            }

            _heldAt.Add(Timestamps.Now);
            if (n == first + count - 1)
            {
                Volatile.Write(ref _releasedAt, Timestamps.Now);
                _released.SetResult();
            }

            await _released.Task;
        }

        /// <summary>How long each held request waited at the server, in microseconds.</summary>
        public IEnumerable<long> Waits()
        {
            var releasedAt = Volatile.Read(ref _releasedAt);
            return _heldAt.Select(t => Math.Max(0, Timestamps.ToMicros(releasedAt - t)));
        }
    }
}
