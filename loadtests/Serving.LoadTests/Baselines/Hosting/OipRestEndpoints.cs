using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>The OIP REST surface of a baseline, over the Serving.Protocol codecs (JSON and Triton's binary extension).</summary>
internal static class OipRestEndpoints
{
    /// <summary>The largest tensor a baseline accepts, in elements.</summary>
    public const long MaxElementsPerTensor = 64L * 1024 * 1024;

    /// <summary>Maps health, metadata and infer routes to <paramref name="backend"/>.</summary>
    public static IEndpointRouteBuilder MapOipRest(this IEndpointRouteBuilder app, IBaselineBackend backend, string serverName)
    {
        app.MapGet("/v2/health/live", static context => Ok(context));
        app.MapGet("/v2/health/ready", static context => Ok(context));
        app.MapGet("/v2", context => RestResponses.WriteJsonAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", serverName);
            w.WriteString("version", "1");
            w.WriteStartArray("extensions");
            w.WriteStringValue("binary_tensor_data");
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        app.MapGet("/v2/models/{model}", context => MetadataAsync(context, backend));
        app.MapGet("/v2/models/{model}/versions/{version}", context => MetadataAsync(context, backend));
        app.MapGet("/v2/models/{model}/ready", context => ReadyAsync(context, backend));
        app.MapGet("/v2/models/{model}/versions/{version}/ready", context => ReadyAsync(context, backend));
        app.MapPost("/v2/models/{model}/infer", context => InferAsync(context, backend));
        app.MapPost("/v2/models/{model}/versions/{version}/infer", context => InferAsync(context, backend));
        return app;
    }

    private static Task Ok(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return Task.CompletedTask;
    }

    private static (string Model, string Version) Route(HttpContext context) =>
        ((string)context.Request.RouteValues["model"]!, context.Request.RouteValues["version"] as string ?? string.Empty);

    private static Task MetadataAsync(HttpContext context, IBaselineBackend backend)
    {
        var (model, version) = Route(context);
        return backend.Describe(model, version) is { } description
            ? RestResponses.WriteJsonAsync(context, 200, description.WriteJson)
            : RestResponses.WriteErrorAsync(context, InferenceException.NotFound($"unknown model '{model}' version '{version}'"));
    }

    private static Task ReadyAsync(HttpContext context, IBaselineBackend backend)
    {
        var (model, version) = Route(context);
        context.Response.StatusCode = backend.Describe(model, version) is null ? StatusCodes.Status404NotFound : StatusCodes.Status200OK;
        return Task.CompletedTask;
    }

    private static async Task InferAsync(HttpContext context, IBaselineBackend backend)
    {
        var (model, version) = Route(context);
        InferenceRequest? request = null;
        PooledBody? body = null;
        try
        {
            var headerLength = HeaderLength(context.Request);
            body = await PooledBody.ReadAsync(context.Request, context.RequestAborted);
            request = RestInferRequestReader.Read(body.Memory, headerLength, model, version, MaxElementsPerTensor, body);
            using var response = backend.Infer(request);
            await RestResponses.WriteInferAsync(context, response, request);
        }
        catch (InferenceException e)
        {
            await RestResponses.WriteErrorAsync(context, e);
        }
        finally
        {
            request?.Dispose();
            body?.Dispose();
        }
    }

    private static int? HeaderLength(HttpRequest request)
    {
        var value = request.Headers["Inference-Header-Content-Length"];
        if (value.Count == 0)
        {
            return null;
        }

        return int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : throw InferenceException.Invalid("Inference-Header-Content-Length must be a non-negative integer");
    }
}
