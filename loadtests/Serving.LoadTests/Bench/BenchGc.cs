using System.Globalization;
using System.Runtime;

namespace Serving.LoadTests.Bench;

/// <summary>
/// The GC a bench ran on, for its report's header: mode, most heaps, and the gen0 floor. .NET sizes gen0 from the
/// CPU's largest cache, read from <see cref="CacheDirectory"/>; where the kernel publishes none (this project's
/// 2-core machine, a Firecracker microVM) the floor is 256 KB, unless <see cref="Variable"/> sets it
/// (docs/configuration.md, "GC gen0 budget").
/// </summary>
internal static class BenchGc
{
    /// <summary>The runtime's gen0 floor setting (environment only: runtimeconfig.json has no key for it).</summary>
    public const string Variable = "DOTNET_GCgen0size";

    /// <summary>The same setting under its pre-.NET 6 prefix, which the runtime still reads.</summary>
    public const string LegacyVariable = "COMPlus_GCgen0size";

    /// <summary>Where the runtime reads the CPU's cache sizes on Linux.</summary>
    public const string CacheDirectory = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>The setting's value from the environment: <see cref="Variable"/>, else <see cref="LegacyVariable"/>.</summary>
    public static string? Gen0SizeSetting(Func<string, string?> environment) =>
        environment(Variable) is { Length: > 0 } value ? value : environment(LegacyVariable) is { Length: > 0 } legacy ? legacy : null;

    /// <summary>
    /// One line: the mode and most heaps (DATAS may use fewer), and the gen0 floor (the setting, or the runtime's
    /// own, said to be the 256 KB fallback where the kernel publishes no cache sizes).
    /// </summary>
    public static string Describe(bool linux, bool cacheVisible, string? gen0Size, bool server, int heaps)
    {
        var mode = server ? $"server GC, up to {heaps.ToString(CultureInfo.InvariantCulture)} heap{(heaps == 1 ? "" : "s")}" : "workstation GC";
        if (!string.IsNullOrWhiteSpace(gen0Size))
        {
            return $"{mode}, gen0 floor {FormatSize(gen0Size)} ({Variable}={gen0Size})";
        }

        return linux && !cacheVisible
            ? $"{mode}, gen0 floor the runtime's fallback of 256 KB (no CPU cache sizes in {CacheDirectory})"
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
