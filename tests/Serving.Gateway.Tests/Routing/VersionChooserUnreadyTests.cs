using Microsoft.AspNetCore.Http;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Routing;

public sealed class VersionChooserUnreadyTests
{
    private static readonly ModelRoute Tabular = Routes.Model("tabular", ready: ["1"], notReady: ["2"]);

    [Theory]
    [InlineData("2")]
    [InlineData("7")]
    public void Choose_PolicyPicksAVersionWithoutHealthyWorker_FailsAndNamesIt(string version)
    {
        var policy = new TrafficPolicy("tabular", [new("1", 0), new(version, 100)], null, null, null, 1, DateTimeOffset.UnixEpoch, "t");

        var choice = VersionChooser.Choose(Tabular, "", new HeaderDictionary(), policy);

        Assert.Equal((version, Arms.Weight, 503), (choice.Unready, choice.Arm, choice.Error!.HttpStatus));
    }

    [Fact]
    public void Choose_CallerNamesAnUnreadyVersion_FailsWithoutBlamingThePolicy()
    {
        var policy = new TrafficPolicy("tabular", [new("1", 100), new("2", 0)], null, null, null, 1, DateTimeOffset.UnixEpoch, "t");

        var choice = VersionChooser.Choose(Tabular, "2", new HeaderDictionary(), policy);

        Assert.Equal((Arms.Explicit, 503), (choice.Arm, choice.Error!.HttpStatus));
    }
}
