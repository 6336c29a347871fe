using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serving.Gateway.Rollback;
using Serving.Gateway.Routing;
using Serving.Gateway.Shadow;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Admin;

/// <summary>
/// The admin API (its own port, behind a bearer token, see <see cref="AdminAuthorization"/>):
/// list models (with each version's rollback window), read and change a model's traffic policy, read its change history.
/// </summary>
internal static class AdminEndpoints
{
    public const string Prefix = "/admin";

    /// <summary>Names the caller in the audit log (e.g. <c>serving traffic</c> sends the user's name).</summary>
    public const string ActorHeader = "X-Serving-Actor";

    /// <summary>On a 200 to a change: the change is in force but its audit entry could not be written, and why.</summary>
    public const string AuditErrorHeader = "X-Serving-Audit-Error";

    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>Endpoint metadata of every admin endpoint: the gateway answers them on the admin port only, past the token.</summary>
    public sealed class Marker
    {
        public static readonly Marker Instance = new();

        private Marker()
        {
        }
    }

    // Answers are for people and tools, not HTML: '+' in a timestamp stays '+'.
    private static readonly AdminJsonContext Json = new(new JsonSerializerOptions(AdminJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithMetadata(Marker.Instance);
        group.MapGet("/models", ListModels);
        group.MapGet("/models/{model}/policy", GetPolicy);
        group.MapPut("/models/{model}/policy", PutPolicy);
        group.MapGet("/models/{model}/policy/history", History);
    }

    /// <summary>
    /// The methods an admin path takes (for a 405 with Allow when it is asked with another), else null. Only reached
    /// past the bearer check: without a valid token every admin path is 401.
    /// </summary>
    public static string? MethodsFor(string? path)
    {
        if (path is null || !path.StartsWith(Prefix + "/", StringComparison.Ordinal))
        {
            return null;
        }

        return path[(Prefix.Length + 1)..].TrimEnd('/').Split('/') switch
        {
            ["models"] => "GET",
            ["models", { Length: > 0 }, "policy"] => "GET, PUT",
            ["models", { Length: > 0 }, "policy", "history"] => "GET",
            _ => null,
        };
    }

    private static Task ListModels(HttpContext context)
    {
        var services = context.RequestServices;
        var table = services.GetRequiredService<RoutingState>().Table;
        var policies = services.GetRequiredService<TrafficPolicies>();
        var shadow = services.GetRequiredService<ShadowStats>();
        var outcomes = services.GetRequiredService<RollbackOutcomes>();
        var names = table.Models.Keys.Union(policies.Current.Keys).Order(StringComparer.Ordinal);
        var document = new AdminModelsDocument
        {
            Models = [.. names.Select(name => Describe(name, table, policies.Find(name), shadow, outcomes))],
            Workers = [.. table.Workers.Select(w => new AdminWorkerDocument { Rest = w.RestPrefix, Grpc = w.GrpcPrefix, Healthy = w.IsHealthy, InFlight = w.InFlight })],
        };
        return WriteAsync(context, 200, document);
    }

    private static Task GetPolicy(HttpContext context, string model)
    {
        var services = context.RequestServices;
        var table = services.GetRequiredService<RoutingState>().Table;
        if (!Names.IsValidName(model))
        {
            return GatewayErrors.WriteRestAsync(context, 400, "the model name is not valid");
        }

        table.TryGetModel(model, out var route);
        var policy = services.GetRequiredService<TrafficPolicies>().Find(model);
        if (policy is null && route is null)
        {
            return GatewayErrors.WriteRestAsync(context, 404, $"unknown model '{model}'");
        }

        return WriteAsync(context, 200, PolicyOf(model, route, policy));
    }

    private static async Task PutPolicy(HttpContext context, string model)
    {
        TrafficPolicyDocument? document;
        try
        {
            if (context.Request.ContentLength > MaxBodyBytes)
            {
                await GatewayErrors.WriteRestAsync(context, 413, $"a policy is at most {MaxBodyBytes} bytes").ConfigureAwait(false);
                return;
            }

            document = await JsonSerializer.DeserializeAsync(context.Request.Body, TrafficJsonContext.Default.TrafficPolicyDocument, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await GatewayErrors.WriteRestAsync(context, 400, $"the body is not a valid policy: {PolicyJsonErrors.Describe(e)}").ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's limit on a body of unknown length (chunked), met while reading it, or a body it could not read:
            // the reason, not Kestrel's empty answer.
            await GatewayErrors.WriteRestAsync(
                context, e.StatusCode, e.StatusCode == 413 ? $"a policy is at most {MaxBodyBytes} bytes" : $"the body could not be read: {e.Message}").ConfigureAwait(false);
            return;
        }

        if (document is null)
        {
            await GatewayErrors.WriteRestAsync(context, 400, "the body is not a valid policy: expected a JSON object").ConfigureAwait(false);
            return;
        }

        if (document.Model is { } named && named != model)
        {
            await GatewayErrors.WriteRestAsync(context, 400, $"the body names model '{Names.Printable(named)}' but the path names '{Names.Printable(model)}'").ConfigureAwait(false);
            return;
        }

        var service = context.RequestServices.GetRequiredService<TrafficPolicyService>();
        var result = await service.SetAsync(model, document, Who(context), context.RequestAborted).ConfigureAwait(false);
        var message = string.Join("; ", result.Errors);
        switch (result.Status)
        {
            case PolicyChangeStatus.Applied:
                if (result.AuditError is { } audit)
                {
                    // In force, but missing from the history: the caller is told, not only the log.
                    context.Response.Headers[AuditErrorHeader] = "the change is in force but its audit entry was not written: " + HeaderSafe(audit);
                }

                await WriteAsync(context, 200, TrafficPolicyDocument.From(result.Policy!)).ConfigureAwait(false);
                break;
            case PolicyChangeStatus.Invalid:
                await GatewayErrors.WriteRestAsync(context, 400, "the policy was refused and the one in force stays: " + message).ConfigureAwait(false);
                break;
            case PolicyChangeStatus.Conflict:
                await GatewayErrors.WriteRestAsync(context, 409, message).ConfigureAwait(false);
                break;
            default:
                await GatewayErrors.WriteRestAsync(context, 503, message).ConfigureAwait(false);
                break;
        }
    }

    // count is read here, not bound as a number: a binding failure (?count=abc) was a 400 with no body.
    private static async Task History(HttpContext context, string model, string? count)
    {
        if (!Names.IsValidName(model))
        {
            await GatewayErrors.WriteRestAsync(context, 400, "the model name is not valid").ConfigureAwait(false);
            return;
        }

        long? wanted = null;
        if (!string.IsNullOrEmpty(count))
        {
            if (!long.TryParse(count, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
            {
                await GatewayErrors.WriteRestAsync(context, 400, $"count must be a whole number (got '{Names.Printable(count)}')").ConfigureAwait(false);
                return;
            }

            wanted = parsed;
        }

        var service = context.RequestServices.GetRequiredService<TrafficPolicyService>();
        IReadOnlyList<PolicyChangeDocument> changes;
        try
        {
            changes = await service.HistoryAsync(model, (int)Math.Clamp(wanted ?? 20, 1, RedisTrafficPolicyStore.AuditLength), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // As a change gets while the store is down: the reason, not an unhandled 500 with no body.
            await GatewayErrors.WriteRestAsync(context, 503, $"the policy history can't be read: the policy store is unavailable: {PolicyStoreErrors.Describe(e)}").ConfigureAwait(false);
            return;
        }

        await WriteAsync(context, 200, new AdminHistoryDocument { Changes = [.. changes] }).ConfigureAwait(false);
    }

    private static AdminModelDocument Describe(string name, RoutingTable table, TrafficPolicy? policy, ShadowStats shadow, RollbackOutcomes outcomes)
    {
        var windows = outcomes.Find(name);
        var now = outcomes.Now;
        table.TryGetModel(name, out var route);
        var weights = policy?.Weights.ToDictionary(w => w.Version, w => w.Weight) ?? [];
        if (policy is null && route?.LatestReady is { } latest)
        {
            weights[latest.Version] = 100;
        }

        var versions = (route?.Ordered ?? []).Select(v => new AdminVersionDocument
        {
            Version = v.Version,
            Ready = v.IsReady,
            Weight = weights.GetValueOrDefault(v.Version),
            HealthyWorkers = v.Workers.Count(w => w.IsHealthy),
            Workers = v.Workers.Length,
            NotServedBecause = v.NotServedBecause,
            RollbackWindow = windows is not null && windows.Tracks(v.Version) ? Window(windows.Counts(v.Version, now)) : null,
        });
        return new AdminModelDocument
        {
            Name = name,
            Ready = route is not null && (policy is null ? route.LatestReady is not null : policy.Weights.Where(w => w.Weight > 0).All(w => route.TryGetVersion(w.Version, out var v) && v.IsReady)),
            Versions = [.. versions],
            Policy = PolicyOf(name, route, policy),
            Shadow = new Dictionary<string, long>(shadow.For(name)),
        };
    }

    private static AdminWindowDocument Window(OutcomeCounts counts) =>
        new() { Requests = counts.Requests, Errors = counts.Errors, ErrorRate = counts.ErrorRate, Slow = counts.Slow };

    /// <summary>The stored policy, or the default one: the newest ready version takes every unversioned request.</summary>
    private static TrafficPolicyDocument PolicyOf(string model, ModelRoute? route, TrafficPolicy? policy)
    {
        if (policy is not null)
        {
            var document = TrafficPolicyDocument.From(policy);
            document.Source = "policy";
            return document;
        }

        return new TrafficPolicyDocument
        {
            Model = model,
            Weights = route?.LatestReady is { } latest ? new Dictionary<string, int> { [latest.Version] = 100 } : [],
            Revision = 0,
            Source = "default",
        };
    }

    private static string Who(HttpContext context)
    {
        var actor = context.Request.Headers[ActorHeader].ToString();
        var clean = new string([.. actor.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@').Take(64)]);
        return $"{(clean.Length > 0 ? clean : "admin")} from {context.Connection.RemoteIpAddress}";
    }

    private static Task WriteAsync<T>(HttpContext context, int status, T value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Json.GetTypeInfo(typeof(T))!);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    // A reason fit for a header value: printable ASCII, at most 200 characters.
    private static string HeaderSafe(string text)
    {
        var chars = text.Select(c => c is >= ' ' and <= '~' ? c : '?').Take(200).ToArray();
        return new string(chars);
    }
}
