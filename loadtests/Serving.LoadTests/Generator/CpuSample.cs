using System.Globalization;
using System.Runtime.InteropServices;

namespace Serving.LoadTests.Generator;

/// <summary>
/// CPU time at one instant: this process, its reaped child processes (h2load), and the whole machine
/// (Linux <c>/proc/stat</c>), so a run can say how many cores it used and how many others took.
/// </summary>
internal readonly partial record struct CpuSample(long Ticks, double ProcessSeconds, double ChildSeconds, double MachineBusySeconds)
{
    private const int RusageChildren = -1;

    /// <summary>Now.</summary>
    public static CpuSample Take() =>
        new(Timestamps.Now, Environment.CpuUsage.TotalTime.TotalSeconds, ChildCpuSeconds(), MachineBusy());

    /// <summary>What was used between <paramref name="start"/> and this sample.</summary>
    public CpuUsage Since(CpuSample start)
    {
        var wall = Math.Max(Timestamps.ToSeconds(Ticks - start.Ticks), 1e-9);
        var machine = MachineBusySeconds < 0 || start.MachineBusySeconds < 0 ? double.NaN : (MachineBusySeconds - start.MachineBusySeconds) / wall;
        return new CpuUsage(wall, (ProcessSeconds - start.ProcessSeconds) / wall, (ChildSeconds - start.ChildSeconds) / wall, machine);
    }

    /// <summary>Busy CPU seconds of the machine from a <c>/proc/stat</c> "cpu" line (user+nice+system+irq+softirq+steal); -1 when unreadable.</summary>
    internal static double ParseProcStatBusy(string cpuLine, double ticksPerSecond)
    {
        var parts = cpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 8 || parts[0] != "cpu")
        {
            return -1;
        }

        long busy = 0;
        foreach (var index in (ReadOnlySpan<int>)[1, 2, 3, 6, 7, 8])
        {
            if (index < parts.Length && long.TryParse(parts[index], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                busy += v;
            }
        }

        return busy / ticksPerSecond;
    }

    private static double MachineBusy()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        try
        {
            using var reader = new StreamReader("/proc/stat");
            return ParseProcStatBusy(reader.ReadLine() ?? string.Empty, 100.0); // USER_HZ is 100 on every Linux ABI .NET runs on
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static double ChildCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            return GetRusage(RusageChildren, out var usage) == 0
                ? usage.UserSeconds + (usage.UserMicros / 1e6) + usage.SystemSeconds + (usage.SystemMicros / 1e6)
                : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out Rusage usage);

    // struct rusage on 64-bit Linux: two timevals, then 14 longs we do not read.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public unsafe fixed long Rest[14];
    }
}
