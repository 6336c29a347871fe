using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Generator;

/// <summary>The closed model: N callers, each sending again as soon as its previous call answered.</summary>
internal static class ClosedLoopDriver
{
    /// <summary>Runs until <paramref name="control"/> stops issuing and every caller's last call has ended.</summary>
    public static Task RunAsync(IInferClient client, int concurrency, LoadMeasurement measurement, RunControl control)
    {
        var workers = new Task[concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            var caller = client.CreateCaller(i);
            workers[i] = Task.Run(() => CallLoopAsync(caller, measurement, control));
        }

        return Task.WhenAll(workers);
    }

    private static async Task CallLoopAsync(IInferCaller caller, LoadMeasurement measurement, RunControl control)
    {
        // One long-lived async method per caller: its state machine is allocated once, not per call.
        while (true)
        {
            var start = Timestamps.Now;
            if (!control.TryClaim(start))
            {
                return;
            }

            try
            {
                var outcome = await caller.CallAsync(control.HardStop).ConfigureAwait(false);
                measurement.Record(start, start, Timestamps.Now, outcome);
            }
            catch (Exception e)
            {
                measurement.RecordClientError(start, e);
            }
        }
    }
}
