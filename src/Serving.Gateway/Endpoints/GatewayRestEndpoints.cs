using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Hosting.Health;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Endpoints;

/// <summary>The Open Inference Protocol's REST paths at the gateway: infer is forwarded; health, metadata and ready are answered here.</summary>
internal static class GatewayRestEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/health/live", () => Results.Ok());
        app.MapGet("/v2/health/ready", (ReadinessState readiness, RoutingState routing) =>
            readiness.IsReady && routing.Table.AnyReady ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/v2", ServerMetadata);
        app.MapGet("/v2/models/{model}", (HttpContext c, string model) => Metadata(c, model, null));
        app.MapGet("/v2/models/{model}/versions/{version}", (HttpContext c, string model, string version) => Metadata(c, model, version));
        app.MapGet("/v2/models/{model}/ready", (HttpContext c, string model) => Ready(c, model, null));
        app.MapGet("/v2/models/{model}/versions/{version}/ready", (HttpContext c, string model, string version) => Ready(c, model, version));
        app.MapPost("/v2/models/{model}/infer", Infer);
        app.MapPost("/v2/models/{model}/versions/{version}/infer", Infer);
        app.MapPost(GatewayHeaders.GrpcInferPath, context => context.RequestServices.GetRequiredService<GrpcInferEndpoint>().InvokeAsync(context));
    }

    /// <summary>The 404 for any other path (mapped last, after admin and metrics).</summary>
    public static void MapFallback(IEndpointRouteBuilder app) =>
        app.MapFallback((HttpContext c) => GatewayErrors.WriteRestAsync(c, 404, $"no endpoint at {c.Request.Method} {Names.PrintablePath(c.Request.Path.Value)}"));

    private static Task Infer(HttpContext context) => context.RequestServices.GetRequiredService<RestInferEndpoint>().InvokeAsync(context);

    private static Task ServerMetadata(HttpContext context) => WriteJsonAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteString("name", GatewayServerInfo.Name);
        w.WriteString("version", GatewayServerInfo.Version);
        w.WriteStartArray("extensions");
        foreach (var e in GatewayServerInfo.Extensions)
        {
            w.WriteStringValue(e);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static Task Metadata(HttpContext context, string model, string? version)
    {
        try
        {
            var services = context.RequestServices;
            var m = GatewayModelView.Metadata(services.GetRequiredService<RoutingState>().Table, services.GetRequiredService<TrafficPolicies>(), model, version);
            return WriteJsonAsync(context, w => WriteMetadata(w, m));
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

    private static void WriteMetadata(Utf8JsonWriter w, ModelMetadataResponse m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteStartArray("versions");
        foreach (var v in m.Versions)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
        w.WriteString("platform", m.Platform);
        WriteTensors(w, "inputs", m.Inputs);
        WriteTensors(w, "outputs", m.Outputs);
        w.WriteEndObject();
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, IEnumerable<ModelMetadataResponse.Types.TensorMetadata> tensors)
    {
        w.WriteStartArray(property);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("datatype", t.Datatype);
            w.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Writes a JSON body built by <paramref name="write"/>.</summary>
    public static Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        return context.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
