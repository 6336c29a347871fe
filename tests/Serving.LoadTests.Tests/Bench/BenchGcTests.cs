using Serving.LoadTests.Bench;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BenchGcTests
{
    [Fact]
    public void Setting_ComesFromEitherPrefix_TheNewOneFirst()
    {
        var both = new Dictionary<string, string?> { [BenchGc.Variable] = "0x2000000", [BenchGc.LegacyVariable] = "0x100000" };
        var legacy = new Dictionary<string, string?> { [BenchGc.LegacyVariable] = "0x100000" };
        var empty = new Dictionary<string, string?> { [BenchGc.Variable] = "" };

        Assert.Equal("0x2000000", BenchGc.Gen0SizeSetting(both.GetValueOrDefault));
        Assert.Equal("0x100000", BenchGc.Gen0SizeSetting(legacy.GetValueOrDefault));
        Assert.Null(BenchGc.Gen0SizeSetting(empty.GetValueOrDefault));
    }

    [Theory]
    [InlineData("0x2000000", true, 2, "server GC, up to 2 heaps, gen0 floor 32 MiB (DOTNET_GCgen0size=0x2000000)")]
    [InlineData("2000000", true, 1, "server GC, up to 1 heap, gen0 floor 32 MiB (DOTNET_GCgen0size=2000000)")]
    [InlineData("0x180000", false, 1, "workstation GC, gen0 floor 1,572,864 bytes (DOTNET_GCgen0size=0x180000)")]
    [InlineData("32M", true, 2, "server GC, up to 2 heaps, gen0 floor not a hexadecimal number of bytes (DOTNET_GCgen0size=32M)")]
    public void Describe_ASetFloor(string setting, bool server, int heaps, string expected)
    {
        Assert.Equal(expected, BenchGc.Describe(linux: true, cacheVisible: false, setting, server, heaps));
    }

    [Fact]
    public void Describe_NoFloorSet_SaysWhetherItIsTheFallback()
    {
        Assert.EndsWith("gen0 floor the runtime's fallback of 256 KB (no CPU cache sizes in /sys/devices/system/cpu/cpu0/cache)",
            BenchGc.Describe(linux: true, cacheVisible: false, null, server: true, heaps: 2), StringComparison.Ordinal);
        Assert.EndsWith("gen0 floor the runtime's own (from the CPU cache size)", BenchGc.Describe(linux: true, cacheVisible: true, null, server: true, heaps: 2), StringComparison.Ordinal);
    }
}
