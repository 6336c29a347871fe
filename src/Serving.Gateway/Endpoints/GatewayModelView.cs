using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Endpoints;

/// <summary>Model metadata and readiness at the gateway, across the versions its workers serve (the same for REST and gRPC).</summary>
internal static class GatewayModelView
{
    public static ModelRoute Model(RoutingTable table, string name)
    {
        if (!Names.IsValidName(name))
        {
            throw InferenceException.Invalid("model name is not valid: names are 1-128 characters of letters, digits, '_', '.' and '-', starting with a letter or digit");
        }

        return table.TryGetModel(name, out var model) ? model : throw InferenceException.NotFound($"unknown model '{name}'");
    }

    public static VersionRoute Version(ModelRoute model, string version) =>
        model.TryGetVersion(version, out var found) ? found : throw InferenceException.NotFound($"model '{model.Name}' has no version '{Names.Printable(version)}'");

    /// <summary>
    /// Without a version: the ready versions, and the signature of the version that gets the most
    /// traffic (the newest ready one without a policy). With one: that version's metadata.
    /// </summary>
    public static ModelMetadataResponse Metadata(RoutingTable table, TrafficPolicies policies, string name, string? version)
    {
        var model = Model(table, name);
        if (!string.IsNullOrEmpty(version))
        {
            var v = Version(model, version);
            return v.Metadata?.Clone() ?? throw InferenceException.Unavailable(v.NoReadyWorkerMessage(" to describe it"));
        }

        var described = MainVersion(model, policies.Find(model.Name));
        if (described?.Metadata is not { } metadata)
        {
            throw InferenceException.Unavailable(model.NoReadyVersionMessage(" to describe"));
        }

        var response = metadata.Clone();
        response.Versions.Clear();
        response.Versions.AddRange(model.Ordered.Where(v => v.IsReady).Select(v => v.Version));
        return response;
    }

    /// <summary>
    /// With a version: that version has a healthy worker. Without: every version the policy sends
    /// traffic to has one (with no policy, some version has one).
    /// </summary>
    public static bool IsReady(RoutingTable table, TrafficPolicies policies, string name, string? version)
    {
        var model = Model(table, name);
        if (!string.IsNullOrEmpty(version))
        {
            return Version(model, version).IsReady;
        }

        if (policies.Find(model.Name) is not { } policy)
        {
            return model.LatestReady is not null;
        }

        return policy.Weights.Where(w => w.Weight > 0).All(w => model.TryGetVersion(w.Version, out var v) && v.IsReady);
    }

    /// <summary>The version a call names, or (without one) the version that gets the most traffic; 503 when none is ready.</summary>
    public static VersionRoute Described(RoutingTable table, TrafficPolicies policies, string name, string? version)
    {
        var model = Model(table, name);
        return !string.IsNullOrEmpty(version) ? Version(model, version)
            : MainVersion(model, policies.Find(model.Name)) ?? throw InferenceException.Unavailable(model.NoReadyVersionMessage(" to describe"));
    }

    private static VersionRoute? MainVersion(ModelRoute model, TrafficPolicy? policy)
    {
        if (policy is not null)
        {
            foreach (var w in policy.Weights.OrderByDescending(w => w.Weight))
            {
                if (w.Weight > 0 && model.TryGetVersion(w.Version, out var v) && v.IsReady && v.Metadata is not null)
                {
                    return v;
                }
            }
        }

        return model.Ordered.LastOrDefault(v => v.IsReady && v.Metadata is not null);
    }
}
