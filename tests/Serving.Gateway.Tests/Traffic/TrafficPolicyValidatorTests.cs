using Serving.Gateway.Tests.TestSupport;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class TrafficPolicyValidatorTests
{
    private static readonly Gateway.Routing.ModelRoute Tabular = Routes.Model("tabular", ready: ["1", "2", "3"], notReady: ["4"]);

    [Fact]
    public void Validate_GoodPolicy_NoErrors()
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", 90), ("2", 10), ("4", 0)).With(d =>
        {
            d.StickyHeader = "x-user-id";
            d.PinHeader = "x-model-version";
            d.Shadow = new ShadowDocument { Version = "3", Percent = 5 };
        }), Tabular);

        Assert.Empty(errors);
    }

    [Fact]
    public void ValidateStored_TheTestersStoredPolicy_EveryWorkerIndependentReason()
    {
        var document = Document(("1", 60), ("99", 50)).With(d =>
        {
            d.Model = "tabular";
            d.StickyHeader = "bad header";
            d.Shadow = new ShadowDocument { Version = "2", Percent = 500 };
        });

        var errors = TrafficPolicyValidator.ValidateStored(document);

        Assert.Equal(
            ["weights must add up to 100 (they add up to 110)", "sticky_header 'bad header' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~", "shadow percent must be from 1 to 100 (got 500)"],
            errors);
    }

    [Fact]
    public void ValidateStored_VersionsNoWorkerHere_NoErrors()
    {
        Assert.Empty(TrafficPolicyValidator.ValidateStored(Document(("7", 90), ("8", 10)).With(d => d.Model = "tabular")));
    }

    [Theory]
    [InlineData(90, 5, "weights must add up to 100 (they add up to 95)")]
    [InlineData(90, 20, "weights must add up to 100 (they add up to 110)")]
    [InlineData(101, -1, "must be from 0 to 100 (got 101)")]
    [InlineData(101, -1, "must be from 0 to 100 (got -1)")]
    public void Validate_BadWeights_SaysWhy(int w1, int w2, string reason)
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", w1), ("2", w2)), Tabular);

        Assert.Contains(errors, e => e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NoWeights_Refused()
    {
        Assert.Contains(TrafficPolicyValidator.Validate("tabular", new TrafficPolicyDocument(), Tabular), e => e.Contains("weights are required", StringComparison.Ordinal));
        Assert.Contains(TrafficPolicyValidator.Validate("tabular", Document(), Tabular), e => e.Contains("weights are required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("9", "version 9 of model 'tabular' does not exist")]
    [InlineData("4", "version 4 of model 'tabular' is not ready")]
    [InlineData("01", "'01' is not a version")]
    [InlineData("x", "'x' is not a version")]
    public void Validate_VersionThatCantServe_Refused(string version, string reason)
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", 50), (version, 50)), Tabular);

        Assert.Contains(errors, e => e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UnknownModel_Refused()
    {
        var errors = TrafficPolicyValidator.Validate("nope", Document(("1", 100)), null);

        Assert.Contains("model 'nope' is not served by any worker", errors);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Validate_ShadowPercentOutOfRange_Refused(int percent)
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", 100)).With(d => d.Shadow = new ShadowDocument { Version = "3", Percent = percent }), Tabular);

        Assert.Contains(errors, e => e.Contains($"shadow percent must be from 1 to 100 (got {percent})", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ShadowVersionNotReady_Refused()
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", 100)).With(d => d.Shadow = new ShadowDocument { Version = "4", Percent = 5 }), Tabular);

        Assert.Contains(errors, e => e.Contains("shadow version 4 of model 'tabular' is not ready", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("x user", "is not a valid header name")]
    [InlineData("", "is not a valid header name")]
    [InlineData("authorization", "is reserved")]
    [InlineData("X-Serving-Version", "is reserved")]
    [InlineData("x-serving-foo", "is reserved")]
    [InlineData("X-SERVING-USER", "is reserved")]
    [InlineData("x-serving-actor", "is reserved")]
    [InlineData("x-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "is 72 characters long: at most 64")]
    public void Validate_BadStickyHeader_Refused(string header, string reason)
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", 100)).With(d => d.StickyHeader = header), Tabular);

        Assert.Contains(errors, e => e.StartsWith("sticky_header", StringComparison.Ordinal) && e.Contains(reason, StringComparison.Ordinal));
    }

    /// <summary>A baseline no healthy worker has ready is refused (it was accepted, and any rollback to it could never apply).</summary>
    [Fact]
    public void Validate_RollbackBaselineNotReady_Refused()
    {
        var errors = TrafficPolicyValidator.Validate(
            "tabular", Document(("1", 100), ("4", 0)).With(d => d.Rollback = new RollbackDocument { Baseline = "4", MaxErrorRate = 0.1 }), Tabular);

        Assert.Equal(["rollback baseline 4 of model 'tabular' is not ready on any healthy worker"], errors);
    }

    [Fact]
    public void Validate_RollbackBaselineReady_NoErrors()
    {
        var errors = TrafficPolicyValidator.Validate(
            "tabular", Document(("1", 0), ("2", 100)).With(d => d.Rollback = new RollbackDocument { Baseline = "1", MaxErrorRate = 0.1 }), Tabular);

        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_SameStickyAndPinHeader_Refused()
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("1", 100)).With(d => { d.StickyHeader = "x-a"; d.PinHeader = "X-A"; }), Tabular);

        Assert.Contains("sticky_header and pin_header must be different headers", errors);
    }

    [Fact]
    public void Validate_SeveralProblems_AllReported()
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(("9", 50), ("4", 40)).With(d => d.Shadow = new ShadowDocument { Version = "1", Percent = 0 }), Tabular);

        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Validate_InvalidModelName_Refused()
    {
        Assert.Equal(["the model name is not valid"], TrafficPolicyValidator.Validate("../etc", Document(("1", 100)), Tabular));
    }

    private static TrafficPolicyDocument Document(params (string Version, int Weight)[] weights) =>
        new() { Weights = weights.ToDictionary(w => w.Version, w => w.Weight) };
}

internal static class DocumentExtensions
{
    /// <summary>Modifies a document inline (documents are mutable DTOs).</summary>
    public static TrafficPolicyDocument With(this TrafficPolicyDocument document, Action<TrafficPolicyDocument> change)
    {
        change(document);
        return document;
    }
}
