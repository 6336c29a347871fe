using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

public sealed class NginxBinaryTests
{
    [Fact]
    public void ParseVersion_NginxOutput_ReturnsNameAndVersion()
    {
        Assert.Equal("nginx/1.22.1", NginxBinary.ParseVersion("nginx version: nginx/1.22.1\n"));
    }

    [Fact]
    public void ParseVersion_OtherOutput_ReturnsNull()
    {
        Assert.Null(NginxBinary.ParseVersion("bash: nginx: command not found"));
    }

    [Fact]
    public void Find_NowhereToBeFound_ReturnsNull()
    {
        using var empty = new TempFolder();

        Assert.Null(NginxBinary.Find(null, empty.Path, []));
    }

    [Fact]
    public void Find_OnSearchPath_ReturnsThatFile()
    {
        using var empty = new TempFolder();
        using var bin = new TempFolder();
        var nginx = Path.Combine(bin.Path, "nginx");
        File.WriteAllText(nginx, string.Empty);

        Assert.Equal(nginx, NginxBinary.Find(null, $"{empty.Path}{Path.PathSeparator}{bin.Path}", []));
    }

    [Fact]
    public void Find_OnlyInFallbackFolder_ReturnsThatFile()
    {
        using var sbin = new TempFolder();
        var nginx = Path.Combine(sbin.Path, "nginx");
        File.WriteAllText(nginx, string.Empty);

        Assert.Equal(nginx, NginxBinary.Find(null, null, [sbin.Path]));
    }

    [Fact]
    public void Find_ExplicitPathMissing_ThrowsNamingTheOption()
    {
        var e = Assert.Throws<LoadTestException>(() => NginxBinary.Find("/nonexistent/nginx", null, []));

        Assert.Contains("--nginx '/nonexistent/nginx'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstallHint_SaysHowToInstall()
    {
        Assert.Contains("apt-get install nginx", NginxBinary.InstallHint, StringComparison.Ordinal);
    }
}
