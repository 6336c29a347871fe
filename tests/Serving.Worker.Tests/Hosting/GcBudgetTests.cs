using Serving.Hosting.Runtime;

namespace Serving.Worker.Tests.Hosting;

public sealed class GcBudgetTests
{
    [Fact]
    public void CacheHidden_NoFloorSet_AdvisesTheSetting()
    {
        var advice = GcBudget.Advice(linux: true, cacheVisible: false, gen0Size: null);

        Assert.NotNull(advice);
        Assert.Contains("set DOTNET_GCgen0size=0x2000000", advice, StringComparison.Ordinal);
        Assert.Contains(GcBudget.CacheDirectory, advice, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, true, null)]         // the runtime reads the cache size
    [InlineData(true, false, "0x1000000")] // a floor was set
    [InlineData(false, false, null)]       // not Linux: the runtime asks the OS, not /sys
    public void NothingToSay(bool linux, bool cacheVisible, string? gen0Size)
    {
        Assert.Null(GcBudget.Advice(linux, cacheVisible, gen0Size));
    }

    [Fact]
    public void Setting_ComesFromEitherPrefix_TheNewOneFirst()
    {
        var both = new Dictionary<string, string?> { [GcBudget.Variable] = "0x2000000", [GcBudget.LegacyVariable] = "0x100000" };
        var legacy = new Dictionary<string, string?> { [GcBudget.LegacyVariable] = "0x100000" };
        var empty = new Dictionary<string, string?> { [GcBudget.Variable] = "" };

        Assert.Equal("0x2000000", GcBudget.Gen0SizeSetting(both.GetValueOrDefault));
        Assert.Equal("0x100000", GcBudget.Gen0SizeSetting(legacy.GetValueOrDefault));
        Assert.Null(GcBudget.Gen0SizeSetting(empty.GetValueOrDefault));
    }

    [Theory]
    [InlineData("0x2000000", true, 2, "server GC, up to 2 heaps, gen0 floor 32 MiB (DOTNET_GCgen0size=0x2000000)")]
    [InlineData("2000000", true, 1, "server GC, up to 1 heap, gen0 floor 32 MiB (DOTNET_GCgen0size=2000000)")]
    [InlineData("0x180000", false, 1, "workstation GC, gen0 floor 1,572,864 bytes (DOTNET_GCgen0size=0x180000)")]
    [InlineData("32M", true, 2, "server GC, up to 2 heaps, gen0 floor not a hexadecimal number of bytes (DOTNET_GCgen0size=32M)")]
    public void Describe_ASetFloor(string setting, bool server, int heaps, string expected)
    {
        Assert.Equal(expected, GcBudget.Describe(linux: true, cacheVisible: false, setting, server, heaps));
    }

    [Fact]
    public void Describe_NoFloorSet_SaysWhetherItIsTheFallback()
    {
        Assert.Contains("fallback of 256 KB", GcBudget.Describe(linux: true, cacheVisible: false, null, server: true, heaps: 2), StringComparison.Ordinal);
        Assert.EndsWith("gen0 floor the runtime's own (from the CPU cache size)", GcBudget.Describe(linux: true, cacheVisible: true, null, server: true, heaps: 2), StringComparison.Ordinal);
    }
}
