using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serving.Gateway.Admin;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Rest;

namespace Serving.Gateway.Endpoints;

/// <summary>The Open Inference Protocol's REST paths at the gateway: infer is forwarded; health, metadata, ready and the repository index are answered here.</summary>
internal static class GatewayRestEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapProbe("/v2/health/live", () => Results.Ok());
        app.MapProbe("/v2/health/ready", (ReadinessState readiness, RoutingState routing) =>
            readiness.IsReady && routing.Table.AnyReady ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/v2", ServerMetadata);
        app.MapGet("/v2/models/{model}", (HttpContext c, string model) => Metadata(c, model, null));
        app.MapGet("/v2/models/{model}/versions/{version}", (HttpContext c, string model, string version) => Metadata(c, model, version));
        app.MapGet("/v2/models/stats", (HttpContext c) => Statistics(c, null, null));
        app.MapGet("/v2/models/{model}/stats", (HttpContext c, string model) => Statistics(c, model, null));
        app.MapGet("/v2/models/{model}/versions/{version}/stats", (HttpContext c, string model, string version) => Statistics(c, model, version));
        app.MapGet("/v2/models/{model}/config", (HttpContext c, string model) => Config(c, model, null));
        app.MapGet("/v2/models/{model}/versions/{version}/config", (HttpContext c, string model, string version) => Config(c, model, version));
        app.MapProbe("/v2/models/{model}/ready", (HttpContext c, string model) => Ready(c, model, null));
        app.MapProbe("/v2/models/{model}/versions/{version}/ready", (HttpContext c, string model, string version) => Ready(c, model, version));
        app.MapPost("/v2/repository/index", Index);
        app.MapPost("/v2/repository/models/{model}/{action:regex(^(load|unload)$)}", (HttpContext c) =>
            GatewayErrors.WriteRestAsync(c, StatusCodes.Status501NotImplemented, GatewayTriton.ModelControlHere));
        app.MapPost("/v2/models/{model}/infer", Infer);
        app.MapPost("/v2/models/{model}/versions/{version}/infer", Infer);
        app.MapPost(GatewayHeaders.GrpcInferPath, context => context.RequestServices.GetRequiredService<GrpcInferEndpoint>().InvokeAsync(context));
    }

    /// <summary>
    /// The answer for any other request (mapped last, after admin and metrics): 405 with the method it takes for a
    /// protocol path asked with the wrong method, else 404.
    /// </summary>
    public static void MapFallback(IEndpointRouteBuilder app) =>
        app.MapFallback(RestPaths.AnyPath, (HttpContext c) =>
        {
            var printable = Names.PrintablePath(c.Request.Path.Value);
            var admin = AdminEndpoints.MethodsFor(c.Request.Path.Value);
            var allow = admin;
            var (status, message) = admin is not null
                ? RestPaths.NotAllowed(c.Request.Method, printable, admin)
                : RestPaths.NoEndpoint(c.Request.Method, c.Request.Path.Value, printable, out allow);
            if (allow is not null)
            {
                c.Response.Headers.Allow = allow;
            }

            return GatewayErrors.WriteRestAsync(c, status, message);
        });

    private static Task Infer(HttpContext context) => context.RequestServices.GetRequiredService<RestInferEndpoint>().InvokeAsync(context);

    /// <summary>Triton's repository index across the workers: every version some worker reports READY, and whether a healthy one has it now.</summary>
    private static async Task Index(HttpContext context)
    {
        var request = await RepositoryIndex.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (request.Error is { } error)
        {
            await GatewayErrors.WriteRestAsync(context, request.Status, error).ConfigureAwait(false);
            return;
        }

        await RepositoryIndex.WriteAsync(context, context.RequestServices.GetRequiredService<GatewayTriton>().Index(), request.ReadyOnly).ConfigureAwait(false);
    }

    /// <summary>Triton's model configuration extension: asked of a healthy worker that has the version ready, and passed on.</summary>
    private static async Task Config(HttpContext context, string model, string? version)
    {
        try
        {
            var (status, json) = await context.RequestServices.GetRequiredService<GatewayTriton>().ConfigAsync(model, version, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = json.Length;
            await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InferenceException e)
        {
            await GatewayErrors.WriteRestAsync(context, e.HttpStatus, e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>Triton's statistics extension across the workers (see <see cref="GatewayTriton.StatisticsAsync"/>).</summary>
    private static async Task Statistics(HttpContext context, string? model, string? version)
    {
        try
        {
            var merge = await context.RequestServices.GetRequiredService<GatewayTriton>().StatisticsAsync(model, version, context.RequestAborted).ConfigureAwait(false);
            await JsonResponse.WriteAsync(context, merge.Write).ConfigureAwait(false);
        }
        catch (InferenceException e)
        {
            await GatewayErrors.WriteRestAsync(context, e.HttpStatus, e.Message).ConfigureAwait(false);
        }
    }

    private static Task ServerMetadata(HttpContext context) =>
        JsonResponse.WriteAsync(context, w => RestMetadataWriter.WriteServer(w, GatewayServerInfo.Name, GatewayServerInfo.Version, GatewayServerInfo.Extensions));

    private static Task Metadata(HttpContext context, string model, string? version)
    {
        try
        {
            var services = context.RequestServices;
            var m = GatewayModelView.Metadata(services.GetRequiredService<RoutingState>().Table, services.GetRequiredService<TrafficPolicies>(), model, version);
            return JsonResponse.WriteAsync(context, w => RestMetadataWriter.WriteModel(w, m));
        }
        catch (InferenceException e)
        {
            return GatewayErrors.WriteRestAsync(context, e.HttpStatus, e.Message);
        }
    }

    private static Task Ready(HttpContext context, string model, string? version)
    {
        try
        {
            var services = context.RequestServices;
            var ready = GatewayModelView.IsReady(services.GetRequiredService<RoutingState>().Table, services.GetRequiredService<TrafficPolicies>(), model, version);
            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        }
        catch (InferenceException e)
        {
            return GatewayErrors.WriteRestAsync(context, e.HttpStatus, e.Message);
        }
    }
}
