using Serving.Gateway.Routing;

namespace Serving.Gateway.Traffic;

/// <summary>
/// Checks a proposed policy before it applies: weights are integers from 0 to 100 adding up to
/// 100, every version exists, every version that gets traffic (weight or shadow) is ready,
/// header names are valid and not the gateway's own, rollback settings are in range and name a
/// baseline among the weights. Every reason is reported, not just the first.
/// </summary>
internal static class TrafficPolicyValidator
{
    public const int MaxVersions = 32;
    private const int MaxHeaderLength = 64;

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "content-type", "transfer-encoding", "te", "connection", "authorization",
        "grpc-timeout", "grpc-encoding",
    };

    // Every header of this form is the gateway's (it drops what callers send): none can be a sticky or pin header.
    private const string GatewayPrefix = "x-serving-";

    /// <summary>The reasons <paramref name="document"/> can't apply to <paramref name="model"/> (empty when it can).</summary>
    public static List<string> Validate(string model, TrafficPolicyDocument document, ModelRoute? route)
    {
        var errors = new List<string>();
        if (ValidateModel(model, route, errors))
        {
            ValidateSettings(document, route, errors);
        }

        return errors;
    }

    /// <summary>
    /// The reasons a policy read from the store can't apply: the rules of a change that don't depend on this gateway's
    /// workers (weights, ranges, header names, rollback settings); another replica may have workers this one lacks.
    /// </summary>
    public static List<string> ValidateStored(TrafficPolicyDocument document)
    {
        var errors = new List<string>();
        if (document.Model is not { } model || !Names.IsValidName(model))
        {
            errors.Add("the model name is not valid");
            return errors;
        }

        ValidateSettings(document, route: null, errors);
        return errors;
    }

    /// <summary>
    /// The reasons an automatic rollback's policy can't apply: the rules of a stored policy, a model some worker serves, and a
    /// baseline ready on a healthy worker. Nothing else need be ready or listed: the rolled-back version (its worker may have
    /// died or dropped it, which is why it fails), another version that still has weight, the shadow. A rollback only takes
    /// weight away from a failing version; refused for any of those, the canary kept failing with its traffic.
    /// </summary>
    public static List<string> ValidateRollback(string model, TrafficPolicyDocument document, ModelRoute? route)
    {
        var errors = new List<string>();
        if (!ValidateModel(model, route, errors))
        {
            return errors;
        }

        ValidateSettings(document, route: null, errors);
        if (route is not null && document.Rollback?.Baseline is { } baseline && !(route.TryGetVersion(baseline, out var found) && found.IsReady))
        {
            errors.Add($"rollback baseline {baseline} of model '{route.Name}' is not ready on any healthy worker");
        }

        return errors;
    }

    // False when the name is not valid (nothing else is checked then); a model no worker serves is an error too.
    private static bool ValidateModel(string model, ModelRoute? route, List<string> errors)
    {
        if (!Names.IsValidName(model))
        {
            errors.Add("the model name is not valid");
            return false;
        }

        if (route is null)
        {
            errors.Add($"model '{model}' is not served by any worker");
        }

        return true;
    }

    private static void ValidateSettings(TrafficPolicyDocument document, ModelRoute? route, List<string> errors)
    {
        ValidateWeights(document.Weights, route, errors);
        ValidateHeader("sticky_header", document.StickyHeader, errors);
        ValidateHeader("pin_header", document.PinHeader, errors);
        if (document.StickyHeader is not null && string.Equals(document.StickyHeader, document.PinHeader, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("sticky_header and pin_header must be different headers");
        }

        if (document.Shadow is { } shadow)
        {
            if (shadow.Percent is < 1 or > 100)
            {
                errors.Add($"shadow percent must be from 1 to 100 (got {shadow.Percent})");
            }

            ValidateVersion("shadow version", shadow.Version, mustBeReady: true, route, errors);
        }

        if (document.Rollback is { } rollback)
        {
            RollbackValidator.Validate(rollback, document.Weights, errors);
            if (route is not null && rollback.Baseline is { } baseline && route.TryGetVersion(baseline, out var found) && !found.IsReady)
            {
                // A rollback to it could never apply: the canary would keep failing with nowhere to go.
                errors.Add($"rollback baseline {baseline} of model '{route.Name}' is not ready on any healthy worker");
            }
        }
    }

    private static void ValidateWeights(Dictionary<string, int>? weights, ModelRoute? route, List<string> errors)
    {
        if (weights is null || weights.Count == 0)
        {
            errors.Add("weights are required: give each version a percent, e.g. {\"1\": 90, \"2\": 10}");
            return;
        }

        if (weights.Count > MaxVersions)
        {
            errors.Add($"at most {MaxVersions} versions may have a weight");
            return;
        }

        foreach (var (version, weight) in weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (weight is < 0 or > 100)
            {
                errors.Add($"the weight of version {Names.Printable(version)} must be from 0 to 100 (got {weight})");
            }

            ValidateVersion("version", version, mustBeReady: weight > 0, route, errors);
        }

        var sum = weights.Values.Sum(w => (long)w);
        if (sum != 100)
        {
            errors.Add($"weights must add up to 100 (they add up to {sum})");
        }
    }

    private static void ValidateVersion(string what, string? version, bool mustBeReady, ModelRoute? route, List<string> errors)
    {
        if (version is null || !Names.TryParseVersion(version, out _))
        {
            errors.Add($"{what} '{Names.Printable(version)}' is not a version (versions are positive integers)");
            return;
        }

        if (route is null)
        {
            return;
        }

        if (!route.TryGetVersion(version, out var found))
        {
            errors.Add($"{what} {version} of model '{route.Name}' does not exist on any worker");
        }
        else if (mustBeReady && !found.IsReady)
        {
            errors.Add($"{what} {version} of model '{route.Name}' is not ready on any healthy worker");
        }
    }

    private static void ValidateHeader(string what, string? header, List<string> errors)
    {
        if (header is null)
        {
            return;
        }

        if (header.Length > MaxHeaderLength)
        {
            errors.Add($"{what} is {header.Length} characters long: at most {MaxHeaderLength}");
        }
        else if (header.Length == 0 || !header.All(IsTokenChar))
        {
            errors.Add($"{what} '{Names.Printable(header)}' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~");
        }
        else if (ReservedHeaders.Contains(header) || header.StartsWith(GatewayPrefix, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{what} '{header}' is reserved (the gateway's own x-serving-* headers, and those HTTP and gRPC need)");
        }
    }

    // RFC 9110 token characters.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);
}
