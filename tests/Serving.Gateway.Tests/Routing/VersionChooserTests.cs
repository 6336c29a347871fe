using Microsoft.AspNetCore.Http;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Protocol.Errors;

namespace Serving.Gateway.Tests.Routing;

public sealed class VersionChooserTests
{
    private static readonly ModelRoute Tabular = Routes.Model("tabular", ready: ["1", "2"], notReady: ["3"]);

    [Fact]
    public void Choose_NamedVersion_WinsOverPolicy()
    {
        var choice = VersionChooser.Choose(Tabular, "1", Headers(("x-model-version", "2")), Policy(0, 100, pin: "x-model-version"));

        Assert.Equal(("1", Arms.Explicit, true), (choice.Version!.Version, choice.Arm, choice.Named));
    }

    [Theory]
    [InlineData("9", InferenceErrorCode.NotFound)]
    [InlineData("3", InferenceErrorCode.Unavailable)]
    public void Choose_NamedVersionMissingOrNotReady_Fails(string version, InferenceErrorCode code)
    {
        var choice = VersionChooser.Choose(Tabular, version, Headers(), null);

        Assert.Equal(code, choice.Error!.Code);
    }

    [Fact]
    public void Choose_NoPolicy_NewestReadyVersion()
    {
        var choice = VersionChooser.Choose(Tabular, "", Headers(), null);

        Assert.Equal(("2", Arms.Default, false), (choice.Version!.Version, choice.Arm, choice.Named));
    }

    [Fact]
    public void Choose_PinHeader_PicksThatVersion_UnknownIs404()
    {
        var policy = Policy(100, 0, pin: "x-model-version");

        Assert.Equal("2", VersionChooser.Choose(Tabular, "", Headers(("x-model-version", "2")), policy).Version!.Version);
        Assert.Equal(Arms.Pin, VersionChooser.Choose(Tabular, "", Headers(("x-model-version", "2")), policy).Arm);
        Assert.Equal(InferenceErrorCode.NotFound, VersionChooser.Choose(Tabular, "", Headers(("x-model-version", "7")), policy).Error!.Code);
    }

    [Fact]
    public void Choose_PinHeaderNotInPolicy_Ignored()
    {
        var choice = VersionChooser.Choose(Tabular, "", Headers(("x-model-version", "2")), Policy(100, 0));

        Assert.Equal(("1", Arms.Weight), (choice.Version!.Version, choice.Arm));
    }

    [Fact]
    public void Choose_StickyKey_SameVersionEveryTime()
    {
        var policy = Policy(50, 50, sticky: "x-user-id");
        var first = VersionChooser.Choose(Tabular, "", Headers(("x-user-id", "alice")), policy);

        for (var i = 0; i < 50; i++)
        {
            var again = VersionChooser.Choose(Tabular, "", Headers(("x-user-id", "alice")), policy);
            Assert.Equal((first.Version!.Version, Arms.Sticky), (again.Version!.Version, again.Arm));
        }
    }

    [Fact]
    public void Choose_StickyHeaderMissing_FallsBackToWeights()
    {
        var choice = VersionChooser.Choose(Tabular, "", Headers(), Policy(0, 100, sticky: "x-user-id"));

        Assert.Equal(("2", Arms.Weight), (choice.Version!.Version, choice.Arm));
    }

    [Fact]
    public void Choose_PolicyVersionNotServed_Unavailable()
    {
        var policy = new TrafficPolicy("tabular", [new("1", 0), new("3", 100)], null, null, null, 1, DateTimeOffset.UnixEpoch, "t");

        Assert.Equal(InferenceErrorCode.Unavailable, VersionChooser.Choose(Tabular, "", Headers(), policy).Error!.Code);
    }

    private static TrafficPolicy Policy(int w1, int w2, string? sticky = null, string? pin = null) =>
        new("tabular", [new("1", w1), new("2", w2)], sticky, pin, null, 1, DateTimeOffset.UnixEpoch, "t");

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }

        return dictionary;
    }
}
