using Serving.LoadTests.Generator;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Generator;

/// <summary><c>--requests</c>: a run sends exactly that many measured requests, then stops, in either model of load.</summary>
public sealed class RunControlTests
{
    private const long MaxRequests = 37;

    [Theory]
    [InlineData("open")]
    [InlineData("closed")]
    public async Task MaxRequests_SendsExactlyThatMany_ThenStops(string mode)
    {
        var open = mode == "open";
        var profile = new LoadProfile
        {
            Mode = open ? LoadMode.Open : LoadMode.Closed,
            Rate = 2_000,
            Concurrency = 4,
            Warmup = TimeSpan.Zero,
            // Only a bound: the request count ends the run. (At 1 s a machine stalled by other work sent none.)
            Duration = TimeSpan.FromMinutes(1),
            MaxRequests = MaxRequests,
        };
        profile.Validate();
        using var client = new RecordingClient();
        var start = Timestamps.Now;
        var measurement = new LoadMeasurement(start, recordServiceTime: open);
        using var control = RunControl.For(profile, CancellationToken.None, measurement);

        await (open
            ? OpenLoopDriver.RunAsync(client, profile, measurement, control, start)
            : ClosedLoopDriver.RunAsync(client, profile.Concurrency, measurement, control));

        Assert.Equal(MaxRequests, client.SentAt.Count);
        Assert.Equal(MaxRequests, measurement.Succeeded);
        Assert.True(control.IsStopping);
    }
}
