using System.Runtime.InteropServices;

namespace Serving.LoadTests.Generator;

/// <summary>
/// Sleeps until a Stopwatch timestamp with sub-millisecond precision on Linux (usleep on a thread with 1 ns
/// timer slack) without spinning: on 2 shared cores a spinning scheduler would take a core from the server.
/// It may wake a little late, never early, so late sends only ever add to the measured latency.
/// </summary>
internal static partial class PreciseSleep
{
    private const int PrSetTimerSlack = 29;

    /// <summary>Asks the kernel for 1 ns timer slack on the calling thread (default 50 µs); best effort.</summary>
    public static void ReduceTimerSlack()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = Prctl(PrSetTimerSlack, 1, 0, 0, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without it sleeps are up to ~50 µs later; the report's service time shows the difference.
        }
    }

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
            else if (OperatingSystem.IsLinux())
            {
                _ = USleep((uint)micros);
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint micros);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
