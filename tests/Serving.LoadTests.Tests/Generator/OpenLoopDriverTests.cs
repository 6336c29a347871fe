using Serving.LoadTests.Generator;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Generator;

/// <summary>
/// The open model's scheduler against a client that answers at once and notes when each call was sent:
/// every scheduled request goes out, none before it is due, with or without a wake interval.
/// </summary>
public sealed class OpenLoopDriverTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(250)]
    [InlineData(2_000)]
    public async Task RunAsync_SendsEveryScheduledRequest_NoneBeforeItIsDue(int wakeMicros)
    {
        var profile = new LoadProfile
        {
            Mode = LoadMode.Open,
            Rate = 4_000,
            Warmup = TimeSpan.Zero,
            Duration = TimeSpan.FromMilliseconds(250),
            WakeInterval = TimeSpan.FromMicroseconds(wakeMicros),
        };
        profile.Validate();
        using var client = new RecordingClient();
        var start = Timestamps.Now;
        var measurement = new LoadMeasurement(start, recordServiceTime: true);
        using var control = RunControl.For(profile, CancellationToken.None, measurement);

        await OpenLoopDriver.RunAsync(client, profile, measurement, control, start);

        var schedule = new ArrivalSchedule(profile.Rate, null, profile.Warmup, profile.Duration);
        var end = start + Timestamps.FromTimeSpan(profile.Duration);
        var due = Enumerable.Range(0, 2_000).Select(i => start + Timestamps.FromSeconds(schedule.OffsetSeconds(i))).Where(t => t < end).ToArray();
        var sent = client.SentAt.OrderBy(t => t).ToArray();
        Assert.Equal(due.Length, sent.Length);
        Assert.Equal(due.Length, measurement.Succeeded);
        Assert.Equal(0, measurement.Failures.Total);

        // Each request is sent at or after its own due time, so the k-th send is never before the k-th due time.
        var early = Enumerable.Range(0, due.Length).Count(k => sent[k] < due[k]);
        Assert.Equal(0, early);
    }

    [Fact]
    public void Validate_WakeIntervalOutOfRange_IsRefused()
    {
        var profile = new LoadProfile { Mode = LoadMode.Open, Rate = 100, WakeInterval = TimeSpan.FromMilliseconds(11) };

        var e = Assert.ThrowsAny<Exception>(profile.Validate);

        Assert.Contains("--wake-interval", e.Message, StringComparison.Ordinal);
    }
}
