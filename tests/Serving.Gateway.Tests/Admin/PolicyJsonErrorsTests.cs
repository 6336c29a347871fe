using System.Text.Json;
using Serving.Gateway.Admin;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Admin;

public sealed class PolicyJsonErrorsTests
{
    [Theory]
    [InlineData("""{"weights": {"1": "90"}}""", "weights.1 must be a whole number")]
    [InlineData("""{"weights": {"1": 90.5, "2": 9.5}}""", "weights.1 must be a whole number")]
    [InlineData("{\"weights\":\n  {\"1\": tru}}", "is an invalid JSON literal. Expected the literal 'true'. (line 2")]
    [InlineData("""{"weights": [100]}""", "weights must be an object whose values are each a whole number")]
    [InlineData("""{"shadow": {"version": "2", "percent": 1e10}}""", "shadow.percent must be a whole number")]
    [InlineData("""{"shadow": 5}""", "shadow must be an object (or null)")]
    [InlineData("""{"model": 5}""", "model must be a string")]
    [InlineData("""{"revision": "x"}""", "revision must be a whole number")]
    [InlineData("""{"updated_at": "yesterday"}""", "updated_at must be a date and time (ISO 8601")]
    [InlineData("""{"rollback": {"max_error_rate": "a"}}""", "rollback.max_error_rate must be a number")]
    [InlineData("""[]""", "the body must be an object (or null)")]
    [InlineData("""{"weights": {"1": 90, "2": false}}""", "weights.2 must be a whole number")]
    [InlineData("""{"stiky_header": "x"}""", "'stiky_header' is not a key of the policy: its keys are model, weights, sticky_header, pin_header, shadow, rollback, ")]
    [InlineData("""{"shadow": {"versio": "2"}}""", "'versio' is not a key of shadow: its keys are version, percent")]
    [InlineData("""{"rollback": {"baseline": "1", "max_error": 0.1}}""", "'max_error' is not a key of rollback: its keys are baseline, max_error_rate, max_p99_ms, min_requests, window_seconds")]
    [InlineData("""{"a']b": 1}""", "'a']b' is not a key of the policy: its keys are model, ")]
    [InlineData("""{"weights": {"a']b": "x"}}""", "weights.a']b must be a whole number")]
    [InlineData("""{"weights": {"1": 100}, "weights": {"2": 100}}""", "'weights' appears more than once in the policy")]
    [InlineData("""{"weights": {"1": 90, "1": 10}}""", "'1' appears more than once in weights")]
    [InlineData("""not json""", "'not json' is an invalid JSON literal. Expected the literal 'null'. (line 1, byte 2)")]
    [InlineData("""{"weights": {"1": 100}""", "There is an open JSON object or array that should be closed. (line 1")]
    public void Describe_NamesTheKeyAndWhatItTakes_NeverADotNetType(string body, string expected)
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(body, TrafficJsonContext.Default.TrafficPolicyDocument));

        var message = PolicyJsonErrors.Describe(e);

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Serving.", message, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", message, StringComparison.Ordinal);
    }
}
