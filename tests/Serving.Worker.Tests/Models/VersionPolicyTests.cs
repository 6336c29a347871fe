using Serving.Worker.Models;

namespace Serving.Worker.Tests.Models;

public sealed class VersionPolicyTests
{
    private static readonly long[] OnDisk = [3, 1, 10, 2];

    [Fact]
    public void Select_NoPolicy_ServesNewestOnly()
    {
        Assert.Equal([10L], VersionPolicy.Select(null, OnDisk));
    }

    [Fact]
    public void Select_NoVersionsOnDisk_ServesNothing()
    {
        Assert.Empty(VersionPolicy.Select(null, []));
        Assert.Empty(VersionPolicy.Select(new VersionPolicyConfig { All = [] }, []));
    }

    [Fact]
    public void Select_All_ServesEveryVersionInOrder()
    {
        var policy = new VersionPolicyConfig { All = [] };

        Assert.Equal([1L, 2L, 3L, 10L], VersionPolicy.Select(policy, OnDisk));
    }

    [Fact]
    public void Select_LatestTwo_ServesTwoNewestNumerically()
    {
        // 10 is newer than 3 and 2 even though "10" sorts first as text.
        var policy = new VersionPolicyConfig { Latest = new LatestPolicyConfig { NumVersions = 2 } };

        Assert.Equal([3L, 10L], VersionPolicy.Select(policy, OnDisk));
    }

    [Fact]
    public void Select_LatestMoreThanOnDisk_ServesAll()
    {
        var policy = new VersionPolicyConfig { Latest = new LatestPolicyConfig { NumVersions = 9 } };

        Assert.Equal([1L, 2L, 3L, 10L], VersionPolicy.Select(policy, OnDisk));
    }

    [Fact]
    public void Select_LatestDefaultCount_ServesNewestOnly()
    {
        var policy = new VersionPolicyConfig { Latest = new LatestPolicyConfig() };

        Assert.Equal([10L], VersionPolicy.Select(policy, OnDisk));
    }

    [Fact]
    public void Select_Specific_ServesListedVersionsOnDisk()
    {
        var policy = new VersionPolicyConfig { Specific = new SpecificPolicyConfig { Versions = [10, 1] } };

        Assert.Equal([1L, 10L], VersionPolicy.Select(policy, OnDisk));
    }

    [Fact]
    public void Select_SpecificVersionsNotOnDisk_AreSkipped()
    {
        var policy = new VersionPolicyConfig { Specific = new SpecificPolicyConfig { Versions = [2, 4, 7] } };

        Assert.Equal([2L], VersionPolicy.Select(policy, OnDisk));
    }

    [Fact]
    public void Select_SpecificNoneOnDisk_ServesNothing()
    {
        var policy = new VersionPolicyConfig { Specific = new SpecificPolicyConfig { Versions = [5] } };

        Assert.Empty(VersionPolicy.Select(policy, OnDisk));
    }
}
