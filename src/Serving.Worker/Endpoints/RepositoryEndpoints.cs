using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Hosting.Http;
using Serving.Worker.Configuration;
using Serving.Worker.Models;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Triton's model-repository extension: the index is open (with Triton's optional <c>{"ready": true}</c> filter); load and unload re-read the trusted
/// repository folder only (never a URL) and need the admin bearer token.
/// </summary>
internal static class RepositoryEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v2/repository/index", Index);
        app.MapPost("/v2/repository/models/{model}/load", (HttpContext c, string model) => Control(c, model, load: true));
        app.MapPost("/v2/repository/models/{model}/unload", (HttpContext c, string model) => Control(c, model, load: false));
    }

    private static async Task Index(HttpContext context)
    {
        var request = await RepositoryIndex.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (request.Error is { } error)
        {
            await ErrorResults.WriteAsync(context, request.Status, error).ConfigureAwait(false);
            return;
        }

        var table = context.RequestServices.GetRequiredService<ModelRepository>().Table;
        await RepositoryIndex.WriteAsync(context, Entries(table), request.ReadyOnly).ConfigureAwait(false);
    }

    /// <summary>
    /// Every model's versions and their states, by model name (a model with none to serve, without a version); a model
    /// unloaded on request as Triton lists it, each version it served UNAVAILABLE with the reason "unloaded".
    /// </summary>
    internal static IEnumerable<RepositoryIndex.Entry> Entries(ModelTable table)
    {
        foreach (var name in table.Models.Keys.Concat(table.Unloaded.Keys).Order(StringComparer.Ordinal))
        {
            if (table.Unloaded.TryGetValue(name, out var unloaded))
            {
                if (unloaded.IsEmpty)
                {
                    yield return new RepositoryIndex.Entry(name, null, "UNAVAILABLE", "unloaded");
                }

                foreach (var version in unloaded)
                {
                    yield return new RepositoryIndex.Entry(name, version, "UNAVAILABLE", "unloaded");
                }

                continue;
            }

            var entry = table.Models[name];
            if (entry.Versions.IsEmpty)
            {
                yield return new RepositoryIndex.Entry(entry.Name, null, "UNAVAILABLE", entry.ConfigError ?? "no version to serve");
            }

            foreach (var (_, v) in entry.Versions)
            {
                yield return new RepositoryIndex.Entry(entry.Name, v.VersionText, v.State.ToString().ToUpperInvariant(),
                    v.Reason ?? entry.ReloadFailures.GetValueOrDefault(v.Version) ?? entry.ConfigError);
            }
        }
    }

    private static async Task Control(HttpContext context, string model, bool load)
    {
        // Who may ask comes before what they asked: the body of a caller without the token is not read.
        var (status, message) = Refusal(context) ?? (0, null);
        if (status == 0)
        {
            var refused = await ControlParameters.ReadAsync(context.Request, load, context.RequestAborted).ConfigureAwait(false);
            (status, message) = await ControlAsync(context, model, load, refused).ConfigureAwait(false);
        }

        if (status == 200)
        {
            context.Response.StatusCode = 200;
            return;
        }

        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await ErrorResults.WriteAsync(context, status, message!).ConfigureAwait(false);
    }

    /// <summary>
    /// Load or unload for REST and gRPC alike: the admin token (as <c>Authorization: Bearer</c>), a valid name, no
    /// parameter refused (<paramref name="refusedParameters"/>, from <see cref="ControlParameters"/>: a config override or
    /// uploaded files would load something other than the repository's folder).
    /// </summary>
    internal static async Task<(int Status, string? Message)> ControlAsync(HttpContext context, string model, bool load, string? refusedParameters)
    {
        if (Refusal(context) is { } refused)
        {
            return refused;
        }

        if (!ModelNames.IsValidName(model))
        {
            return (400, "model name is not valid");
        }

        if (refusedParameters is not null)
        {
            return (400, refusedParameters);
        }

        var repository = context.RequestServices.GetRequiredService<ModelRepository>();
        if (load)
        {
            // As Triton's: a load whose model or a version of it did not come READY is an error that says why.
            var loaded = await repository.LoadAsync(model, context.RequestAborted).ConfigureAwait(false);
            return !loaded.Found ? (404, $"unknown model '{model}'") : loaded.Failure is { } failure ? (400, failure) : (200, null);
        }

        return await repository.UnloadAsync(model, context.RequestAborted).ConfigureAwait(false) ? (200, null) : (404, $"unknown model '{model}'");
    }

    // 403 when model control is off, 401 without the admin token; null when the caller may load and unload.
    private static (int Status, string? Message)? Refusal(HttpContext context)
    {
        var token = context.RequestServices.GetRequiredService<IOptions<WorkerOptions>>().Value.AdminToken;
        if (string.IsNullOrEmpty(token))
        {
            return (403, "model control is off: set Serving:Worker:AdminToken to enable load and unload");
        }

        return Authorized(context.Request, token) ? null : (401, "a valid 'Authorization: Bearer <token>' header is required");
    }

    // As the gateway's admin API checks its token: the scheme in any case ("bearer" was 401 here), compared in fixed
    // time whatever the length (the bytes' FixedTimeEquals returned at once on a length that differed).
    private static bool Authorized(HttpRequest request, string token) =>
        new BearerToken(token).Matches(request.Headers.Authorization.ToString()) == true;
}
