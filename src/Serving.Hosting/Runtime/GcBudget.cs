using System.Globalization;
using System.Runtime;

namespace Serving.Hosting.Runtime;

/// <summary>
/// The GC's gen0 budget. .NET sizes gen0 from the CPU's largest cache, read from
/// <c>/sys/devices/system/cpu/cpu0/cache</c>; where the kernel publishes no cache information there (virtual
/// machines whose CPU model hides it, such as this project's 2-core dev machine, a Firecracker microVM) the floor
/// falls to 256 KB and the GC collects every 2–3 MB allocated, each time stopping the process for milliseconds
/// (the drift bench's process: 230 gen0 collections and 390 ms paused in 6 s). <see cref="Variable"/> raises the floor; the <c>./serving</c> launcher and
/// the image set it to <see cref="Recommended"/> unless it is set already (docs/configuration.md, "GC gen0 budget").
/// </summary>
public static class GcBudget
{
    /// <summary>The runtime's setting (environment only: runtimeconfig.json has no key for it).</summary>
    public const string Variable = "DOTNET_GCgen0size";

    /// <summary>The same setting under its pre-.NET 6 prefix, which the runtime still reads.</summary>
    public const string LegacyVariable = "COMPlus_GCgen0size";

    /// <summary>32 MiB, in the runtime's hexadecimal: a floor near what a host with a visible 32–40 MB L3 cache gets by default.</summary>
    public const string Recommended = "0x2000000";

    /// <summary>Where the runtime reads the CPU's cache sizes on Linux.</summary>
    public const string CacheDirectory = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>
    /// What to tell the operator at start, or null when nothing: the host hides the CPU cache size from the runtime
    /// (<paramref name="cacheVisible"/> false, on Linux) and no gen0 floor was set (<paramref name="gen0Size"/> is the
    /// setting's value, from either variable).
    /// </summary>
    public static string? Advice(bool linux, bool cacheVisible, string? gen0Size) =>
        linux && !cacheVisible && string.IsNullOrWhiteSpace(gen0Size)
            ? $"This host hides the CPU cache size from .NET ({CacheDirectory} is missing), so the GC's gen0 budget falls to its 256 KB floor and it collects every few MB: set {Variable}={Recommended} before starting serving (the ./serving launcher and the image do); see docs/configuration.md, \"GC gen0 budget\""
            : null;

    /// <summary>The setting's value from the environment: <see cref="Variable"/>, else <see cref="LegacyVariable"/>.</summary>
    public static string? Gen0SizeSetting(Func<string, string?> environment) =>
        environment(Variable) is { Length: > 0 } value ? value : environment(LegacyVariable) is { Length: > 0 } legacy ? legacy : null;

    /// <summary>The advice for this process, or null.</summary>
    public static string? CurrentAdvice() =>
        Advice(OperatingSystem.IsLinux(), Directory.Exists(CacheDirectory), Gen0SizeSetting(Environment.GetEnvironmentVariable));

    /// <summary>
    /// One line on the GC this process runs, for reports: its mode and most heaps (DATAS may use fewer), and the
    /// gen0 floor (the setting, or the runtime's own, said to be the 256 KB fallback where the host hides the cache size).
    /// </summary>
    public static string Describe(bool linux, bool cacheVisible, string? gen0Size, bool server, int heaps)
    {
        var mode = server ? $"server GC, up to {heaps.ToString(CultureInfo.InvariantCulture)} heap{(heaps == 1 ? "" : "s")}" : "workstation GC";
        if (!string.IsNullOrWhiteSpace(gen0Size))
        {
            return $"{mode}, gen0 floor {FormatSize(gen0Size)} ({Variable}={gen0Size})";
        }

        return linux && !cacheVisible
            ? $"{mode}, gen0 floor the runtime's fallback of 256 KB (the host hides the CPU cache size; {Variable} not set)"
            : $"{mode}, gen0 floor the runtime's own (from the CPU cache size)";
    }

    /// <summary><see cref="Describe"/> for this process.</summary>
    public static string DescribeCurrent()
    {
        var variables = GC.GetConfigurationVariables();
        var heaps = variables.TryGetValue("HeapCount", out var count) && count is int or long or ulong or uint ? Convert.ToInt32(count, CultureInfo.InvariantCulture) : 1;
        return Describe(OperatingSystem.IsLinux(), Directory.Exists(CacheDirectory), Gen0SizeSetting(Environment.GetEnvironmentVariable), GCSettings.IsServerGC, heaps);
    }

    // The runtime reads the value as hexadecimal, with or without 0x.
    private static string FormatSize(string setting)
    {
        var digits = setting.Trim();
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }

        if (!ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bytes))
        {
            return "not a hexadecimal number of bytes";
        }

        return bytes % (1024 * 1024) == 0
            ? $"{(bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture)} MiB"
            : $"{bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes";
    }
}
