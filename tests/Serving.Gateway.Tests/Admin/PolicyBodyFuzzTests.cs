using System.Text.Json;
using Serving.Gateway.Admin;
using Serving.Gateway.Tests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.Tests.Admin;

/// <summary>
/// Mutation fuzz of a policy change's body as the admin API reads it (<see cref="PolicyBodies"/>: valid policies with values
/// of other types, odd numbers, keys removed, added or repeated, deep nesting, bytes changed, cut or not UTF-8): it parses
/// and validates into a policy that applies, or is refused with a reason in the policy's terms; nothing throws. A policy
/// that applies is one the stores keep: written and read back, it passes the stored policy's checks unchanged.
/// </summary>
public sealed class PolicyBodyFuzzTests
{
    // Mutated bodies per run: 20,000 in CI; set ADMIN_POLICY_FUZZ_ITERATIONS for a longer search (500,000 took 11 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("ADMIN_POLICY_FUZZ_ITERATIONS"), out var n) ? n : 20_000;

    private static readonly Gateway.Routing.ModelRoute Tabular = Routes.Model("tabular", ready: ["1", "2"], notReady: ["3"]);

    [Fact]
    public void ReadAndValidate_MutatedBodies_APolicyThatApplies_OrAReason()
    {
        var random = new Random(61);
        var (applied, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var body = PolicyBodies.Mutated(random);
            var context = $"iteration {i}, body {PolicyBodies.Describe(body)}";
            var reasons = Refusal(body, context, out var policy);
            if (policy is null)
            {
                Assert.True(reasons.Count > 0 && reasons.All(r => r.Length > 0), context);
                refused++;
                continue;
            }

            AssertStorable(policy, context);
            applied++;
        }

        // Both outcomes were exercised, or the sweep proves little.
        Assert.True(applied > Iterations / 20, $"applied {applied}");
        Assert.True(refused > Iterations / 2, $"refused {refused}");
    }

    // The reasons the admin API gives for refusing the body; none, and the policy it applies, when it takes it.
    private static List<string> Refusal(byte[] body, string context, out TrafficPolicy? policy)
    {
        policy = null;
        TrafficPolicyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(body, TrafficJsonContext.Default.TrafficPolicyDocument);
        }
        catch (JsonException e)
        {
            var message = Describe(e, context);
            Assert.True(!message.Contains("System.", StringComparison.Ordinal) && !message.Contains("Serving.", StringComparison.Ordinal), $"{context}: {message}");
            return [message];
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{context}: {e}");
        }

        if (document is null)
        {
            return ["expected a JSON object"];
        }

        try
        {
            var errors = TrafficPolicyValidator.Validate("tabular", document, Tabular);
            if (errors.Count == 0)
            {
                policy = new TrafficPolicy(
                    "tabular", document.Weights!.Select(kv => new VersionWeight(kv.Key, kv.Value)), document.StickyHeader, document.PinHeader,
                    document.Shadow is { Version: { } v } s ? new ShadowPolicy(v, s.Percent) : null, 1, DateTimeOffset.UnixEpoch, "fuzz", document.Rollback?.ToPolicy());
            }

            return errors;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{context}: {e}");
        }
    }

    private static string Describe(JsonException e, string context)
    {
        try
        {
            return PolicyJsonErrors.Describe(e);
        }
        catch (Exception thrown)
        {
            throw new Xunit.Sdk.XunitException($"{context}: describing '{e.Message}' threw {thrown}");
        }
    }

    // As the stores keep it: the document written, read back into a policy, and checked as a stored one.
    private static void AssertStorable(TrafficPolicy policy, string context)
    {
        var json = JsonSerializer.Serialize(TrafficPolicyDocument.From(policy), TrafficJsonContext.Default.TrafficPolicyDocument);
        var stored = JsonSerializer.Deserialize(json, TrafficJsonContext.Default.TrafficPolicyDocument)!;
        Assert.True(TrafficPolicyValidator.ValidateStored(stored) is [], $"{context}: stored as {json}: {string.Join("; ", TrafficPolicyValidator.ValidateStored(stored))}");
        Assert.True(policy.IsSameChange(stored.ToPolicy()), $"{context}: stored as {json}");
        foreach (var bucket in new[] { 0, 1, TrafficPolicy.Buckets / 2, TrafficPolicy.Buckets - 1 })
        {
            Assert.Contains(policy.Weights, w => w.Version == policy.PickVersion(bucket) && w.Weight > 0);
        }
    }
}
