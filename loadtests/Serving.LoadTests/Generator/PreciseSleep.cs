using Serving.Worker.Batching;

namespace Serving.LoadTests.Generator;

/// <summary>
/// Sleeps until a Stopwatch timestamp with sub-millisecond precision on Linux (usleep; call
/// <see cref="ShortSleep.ReduceTimerSlack"/> on the sleeping thread first for 1 ns timer slack) without spinning: on 2 shared cores a spinning scheduler would take a core from the server.
/// It may wake a little late, never early, so late sends only ever add to the measured latency.
/// </summary>
internal static class PreciseSleep
{
    /// <summary>Returns at or after <paramref name="deadline"/>, or early once <paramref name="stop"/> is set.</summary>
    public static void Until(long deadline, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var micros = Timestamps.ToMicros(deadline - Timestamps.Now);
            if (micros <= 0)
            {
                return;
            }

            if (micros > 2_000)
            {
                // Coarse sleep in slices so a stop is noticed within 50 ms.
                Thread.Sleep((int)Math.Min((micros / 1000) - 1, 50));
            }
            else
            {
                ShortSleep.For(TimeSpan.FromMicroseconds(micros));
            }
        }
    }
}
