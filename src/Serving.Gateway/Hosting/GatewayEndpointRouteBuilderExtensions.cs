using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Gateway.Admin;
using Serving.Gateway.Configuration;
using Serving.Gateway.Endpoints;
using Serving.Gateway.Routing;
using Serving.Hosting.Metrics;

namespace Serving.Gateway.Hosting;

/// <summary>Maps the gateway's endpoints and keeps each listener to its own paths.</summary>
public static class GatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Keeps each port to its own paths: the admin port answers <c>/admin</c> only, behind the bearer
    /// token; the metrics port answers <c>/metrics</c> only; the front-door ports never answer <c>/admin</c>.
    /// gRPC ModelInfer, the hot path, goes straight to <see cref="GrpcInferEndpoint"/> before routing: the route
    /// matcher captured the route values of every endpoint the path could match (gRPC's catch-all for unknown
    /// methods, the fallback) before picking the literal one, a few hundred bytes per call. Routing comes after.
    /// </summary>
    public static IApplicationBuilder UseServingGateway(this IApplicationBuilder app)
    {
        var listeners = app.ApplicationServices.GetRequiredService<GatewayListeners>();
        var grpcInfer = app.ApplicationServices.GetRequiredService<GrpcInferEndpoint>();
        var token = app.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value.AdminToken;
        var authorization = string.IsNullOrEmpty(token) ? null : new AdminAuthorization(token);
        return app.Use((context, next) =>
        {
            var port = context.Connection.LocalPort;
            // Ignoring case, as the route matcher compares literal segments: /ADMIN/models reaches the admin endpoints too.
            var isAdminPath = context.Request.Path.StartsWithSegments(AdminEndpoints.Prefix, StringComparison.OrdinalIgnoreCase);
            if (authorization is not null && port == listeners.AdminPort && listeners.AdminPort != 0)
            {
                return isAdminPath ? Admin(context, next, authorization) : NotFound(context);
            }

            if (isAdminPath || (port == listeners.MetricsPort && listeners.MetricsPort != 0 && !context.Request.Path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase)))
            {
                return NotFound(context);
            }

            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(GatewayHeaders.GrpcInferPath, StringComparison.Ordinal))
            {
                return grpcInfer.InvokeAsync(context);
            }

            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(GatewayHeaders.GrpcStreamInferPath, StringComparison.Ordinal))
            {
                return grpcInfer.InvokeAsync(context, streaming: true);
            }

            return next(context);
        }).UseRouting().Use((context, next) =>
            // Whatever path reached an admin endpoint, only the admin port past the token gets there: the path check above
            // and the route matcher must agree on every spelling of a path, and this does not depend on it.
            context.GetEndpoint()?.Metadata.GetMetadata<AdminEndpoints.Marker>() is null
            || (authorization is not null && listeners.AdminPort != 0 && context.Connection.LocalPort == listeners.AdminPort)
                ? next(context)
                : NotFound(context));
    }

    /// <summary>Open Inference Protocol REST + gRPC (infer forwarded, the rest answered here), grpc.health.v1, the admin API and /metrics.</summary>
    public static IEndpointRouteBuilder MapServingGateway(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<GatewayGrpcEndpoint>();
        app.MapGrpcService<Grpc.HealthCheck.HealthServiceImpl>();
        app.MapServingMetrics();
        AdminEndpoints.Map(app);
        GatewayRestEndpoints.Map(app);
        GatewayRestEndpoints.MapFallback(app);
        return app;
    }

    private static Task Admin(HttpContext context, RequestDelegate next, AdminAuthorization authorization)
    {
        switch (authorization.Check(context.Request))
        {
            case AdminAuthorizationResult.Missing:
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return GatewayErrors.WriteRestAsync(context, StatusCodes.Status401Unauthorized, "the admin API needs an 'Authorization: Bearer <token>' header");
            case AdminAuthorizationResult.Wrong:
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return GatewayErrors.WriteRestAsync(context, StatusCodes.Status401Unauthorized, "the bearer token is not valid");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 64 * 1024;
        }

        return next(context);
    }

    private static Task NotFound(HttpContext context) =>
        GatewayErrors.WriteRestAsync(context, StatusCodes.Status404NotFound, $"no endpoint at {context.Request.Method} {Names.PrintablePath(context.Request.Path.Value)}");
}
