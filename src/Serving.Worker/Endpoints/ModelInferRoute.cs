using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Gives a gRPC ModelInfer call its endpoint before route matching, which then skips it (the endpoint routing
/// middleware matches only when no endpoint is set). On the predict hot path matching cost more than finding one
/// path: the path is also a candidate of grpc-dotnet's two "unimplemented" routes and of the REST fallback, and each
/// candidate's route values were captured (about 550 bytes a call, measured at concurrency 1). Only the exact
/// path and method go this way; anything else (another spelling, a trailing slash, another method) is matched as
/// before, to the same endpoint or the same error.
/// </summary>
internal sealed class ModelInferRoute(IEndpointRouteBuilder routes)
{
    private const string Path = "/inference.GRPCInferenceService/ModelInfer";

    private Endpoint? endpoint;
    private bool searched;

    /// <summary>The middleware: sets the ModelInfer endpoint on a ModelInfer call, then passes every request on.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsPost(context.Request.Method) && string.Equals(context.Request.Path.Value, Path, StringComparison.Ordinal)
            && Endpoint is { } found)
        {
            context.SetEndpoint(found);
        }

        return next(context);
    }

    /// <summary>The endpoint grpc-dotnet mapped for ModelInfer; null when none is mapped. Found once, on first use (the
    /// endpoints are mapped after the middleware is added).</summary>
    internal Endpoint? Endpoint
    {
        get
        {
            if (!Volatile.Read(ref searched))
            {
                endpoint = Find(routes);
                Volatile.Write(ref searched, true);
            }

            return endpoint;
        }
    }

    private static Endpoint? Find(IEndpointRouteBuilder routes)
    {
        foreach (var source in routes.DataSources)
        {
            foreach (var candidate in source.Endpoints)
            {
                if (candidate.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method is { ServiceName: "inference.GRPCInferenceService", Name: "ModelInfer" })
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
