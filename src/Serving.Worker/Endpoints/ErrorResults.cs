using Microsoft.AspNetCore.Http;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;

namespace Serving.Worker.Endpoints;

/// <summary>Writes the protocol's REST error body, <c>{"error": "..."}</c>.</summary>
internal static class ErrorResults
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status == StatusCodes.Status429TooManyRequests || status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        var body = ErrorJson.Body(message);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>Writes <paramref name="e"/>'s status and message, with <see cref="CallerDeadlineMark"/> when the caller's deadline passed.</summary>
    public static Task WriteAsync(HttpContext context, InferenceException e)
    {
        if (e.CallerBudget is { } budget && !context.Response.HasStarted)
        {
            context.Response.Headers[CallerDeadlineMark.Header] = CallerDeadlineMark.Value(budget);
        }

        return WriteAsync(context, e.HttpStatus, e.Message);
    }

    /// <summary>Writes the error if the connection still takes it: for failures that may have taken the connection with them.</summary>
    public static async Task TryWriteAsync(HttpContext context, int status, string message)
    {
        try
        {
            await WriteAsync(context, status, message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone.
        }
    }
}
