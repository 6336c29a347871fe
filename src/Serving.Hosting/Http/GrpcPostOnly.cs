using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Rest;

namespace Serving.Hosting.Http;

/// <summary>
/// A gRPC call is a POST. grpc-dotnet's methods, bound through a service method provider, carry no HTTP method of their
/// own: GET, PUT, HEAD, … on <c>/inference.GRPCInferenceService/ModelInfer</c> ran the model at a worker (past its
/// message checks and memory budget, which look for a POST), and every other method of the service at the worker and the
/// gateway. A path of one of <paramref name="services"/> asked with another method is answered 405 with <c>Allow: POST</c>
/// and an UNIMPLEMENTED status saying so; every other request passes on untouched.
/// </summary>
public static class GrpcPostOnly
{
    private const string Unimplemented = "12"; // grpc-status UNIMPLEMENTED

    /// <summary>Adds the middleware for the gRPC services named (the path's first segment, in any case, as routing matches it).</summary>
    public static IApplicationBuilder UseGrpcPostOnly(this IApplicationBuilder app, params string[] services) =>
        app.Use((context, next) =>
            HttpMethods.IsPost(context.Request.Method) || !IsServicePath(context.Request.Path.Value, services)
                ? next(context)
                : RefuseAsync(context));

    private static bool IsServicePath(string? path, string[] services)
    {
        foreach (var service in services)
        {
            if (path is not null && path.Length > service.Length + 1 && path[0] == '/' && path[service.Length + 1] == '/'
                && path.AsSpan(1, service.Length).Equals(service, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static Task RefuseAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        response.Headers.Allow = "POST";
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = Unimplemented;
        response.Headers["grpc-message"] = Uri.EscapeDataString($"{context.Request.Method} is not allowed on {RestPaths.Printable(context.Request.Path.Value)}: a gRPC call is a POST");
        return response.CompleteAsync();
    }
}
