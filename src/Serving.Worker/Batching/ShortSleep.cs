using System.Runtime.InteropServices;

namespace Serving.Worker.Batching;

/// <summary>
/// Sleeps shorter than a millisecond: <c>usleep</c> on Linux, where a thread can ask for 1 ns timer slack (the default,
/// 50 µs, is added to every such sleep); elsewhere a 1 ms sleep. The batch delay timer uses it, and so does the load
/// generator's open-model scheduler.
/// </summary>
internal static partial class ShortSleep
{
    private const int PrSetTimerSlack = 29;

    /// <summary>Asks the kernel for 1 ns timer slack on the calling thread; best effort (sleeps end up to ~50 µs later without it).</summary>
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
            // Without it sleeps end a little later; nothing else changes.
        }
    }

    /// <summary>Sleeps at least <paramref name="span"/> (meant for under a millisecond; never returns early).</summary>
    public static void For(TimeSpan span)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = USleep((uint)Math.Clamp(span.TotalMicroseconds, 1, uint.MaxValue));
        }
        else
        {
            // No sub-millisecond sleep elsewhere: the shortest there is. This sleep is the timed wait itself (callers
            // sleep up to a deadline), not a poll for a condition.
            Thread.Sleep(1);
        }
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint micros);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
