using Serving.Gateway.Tests.TestSupport;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class RollbackValidatorTests
{
    private static readonly Gateway.Routing.ModelRoute Tabular = Routes.Model("tabular", ready: ["1", "2"]);

    [Fact]
    public void Validate_GoodRollback_NoErrors()
    {
        Assert.Empty(TrafficPolicyValidator.Validate("tabular", Document(new RollbackDocument { Baseline = "1", MaxErrorRate = 0.05, MaxP99Ms = 250, MinRequests = 1, WindowSeconds = 3600 }), Tabular));
        Assert.Empty(TrafficPolicyValidator.Validate("tabular", Document(new RollbackDocument { Baseline = "1", MaxErrorRate = 1 }), Tabular));
    }

    [Theory]
    [InlineData(null, 0.05, null, null, null, "rollback baseline is required")]
    [InlineData("3", 0.05, null, null, null, "rollback baseline '3' is not one of the versions in weights")]
    [InlineData("1", null, null, null, null, "rollback max_error_rate is required")]
    [InlineData("1", 0.0, null, null, null, "rollback max_error_rate must be greater than 0 and at most 1 (got 0)")]
    [InlineData("1", 1.5, null, null, null, "rollback max_error_rate must be greater than 0 and at most 1 (got 1.5)")]
    [InlineData("1", 0.05, 0, null, null, "rollback min_requests must be from 1 to 1000000 (got 0)")]
    [InlineData("1", 0.05, null, 4, null, "rollback window_seconds must be from 5 to 3600 (got 4)")]
    [InlineData("1", 0.05, null, 3601, null, "rollback window_seconds must be from 5 to 3600 (got 3601)")]
    [InlineData("1", 0.05, null, null, -1, "rollback max_p99_ms must be from 0 (off) to 600000 (got -1)")]
    public void Validate_BadRollback_SaysWhy(string? baseline, double? rate, int? minRequests, int? window, int? p99, string reason)
    {
        var errors = TrafficPolicyValidator.Validate("tabular", Document(new RollbackDocument
        {
            Baseline = baseline,
            MaxErrorRate = rate,
            MinRequests = minRequests,
            WindowSeconds = window,
            MaxP99Ms = p99,
        }), Tabular);

        Assert.Equal([reason], errors.Select(e => e.Length > reason.Length && e.StartsWith(reason, StringComparison.Ordinal) ? reason : e));
    }

    private static TrafficPolicyDocument Document(RollbackDocument rollback) =>
        new() { Weights = new Dictionary<string, int> { ["1"] = 90, ["2"] = 10 }, Rollback = rollback };
}
