using System.Text;
using Microsoft.AspNetCore.Http;
using Serving.Hosting.Http;

namespace Serving.Gateway.Routing;

/// <summary>
/// Answers a request at the gateway: REST as <c>{"error": "..."}</c> with the protocol's status, gRPC as a
/// trailers-only response (HTTP 200, <c>grpc-status</c> and a percent-encoded <c>grpc-message</c> in the headers).
/// </summary>
internal static class GatewayErrors
{
    public static Task WriteAsync(HttpContext context, RouteError error, bool grpc) =>
        grpc ? WriteGrpcAsync(context, error.GrpcStatus, error.Message, error.AcceptEncoding) : WriteRestAsync(context, error.HttpStatus, error.Message);

    public static Task WriteRestAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        // Headers already set (WWW-Authenticate on a 401) stay.
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        var body = ErrorJson.Body(message);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>A trailers-only gRPC answer; <paramref name="acceptEncoding"/> goes out as <c>grpc-accept-encoding</c> when given.</summary>
    public static Task WriteGrpcAsync(HttpContext context, Grpc.Core.StatusCode status, string message, string? acceptEncoding = null)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = PercentEncode(message);
        if (acceptEncoding is not null)
        {
            context.Response.Headers["grpc-accept-encoding"] = acceptEncoding;
        }

        return context.Response.CompleteAsync();
    }

    /// <summary>gRPC's grpc-message encoding: printable ASCII except '%' as is, every other UTF-8 byte as %XX.</summary>
    internal static string PercentEncode(string message)
    {
        var builder = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
