using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Hosting.Buffers;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Rest;
using Serving.Worker.Batching;
using Serving.Worker.Configuration;
using Serving.Worker.Inference;
using Serving.Worker.Models;

namespace Serving.Worker.Endpoints;

/// <summary>The Open Inference Protocol over REST (KServe v2), with Triton's binary tensor extension.</summary>
internal static class RestEndpoints
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    /// <summary>A per-request timeout in milliseconds (the body's <c>timeout</c> parameter, in microseconds, also works).</summary>
    public const string TimeoutHeader = "X-Serving-Timeout-Ms";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapProbe("/v2/health/live", () => Results.Ok());
        app.MapProbe("/v2/health/ready", (ReadinessState readiness) => readiness.IsReady ? Results.Ok() : Results.StatusCode(503));
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
        app.MapPost("/v2/models/{model}/infer", (HttpContext c, string model) => Infer(c, model, string.Empty));
        app.MapPost("/v2/models/{model}/versions/{version}/infer", (HttpContext c, string model, string version) => Infer(c, model, version));
        app.MapFallback(RestPaths.AnyPath, NoEndpoint);
    }

    // A protocol path asked with the wrong method is 405 with the method it takes; anything else is 404.
    private static Task NoEndpoint(HttpContext context)
    {
        var (status, message) = RestPaths.NoEndpoint(context.Request.Method, context.Request.Path.Value, Truncate(context.Request.Path.Value), out var allow);
        if (allow is not null)
        {
            context.Response.Headers.Allow = allow;
        }

        return ErrorResults.WriteAsync(context, status, message);
    }

    private static Task ServerMetadata(HttpContext context) =>
        JsonResponse.WriteAsync(context, w => RestMetadataWriter.WriteServer(w, ServerInfo.Name, ServerInfo.Version, ServerInfo.Extensions));

    private static Task Metadata(HttpContext context, string model, string? version)
    {
        try
        {
            var m = ModelMetadataView.Build(context.RequestServices.GetRequiredService<ModelResolver>(), model, version);
            return JsonResponse.WriteAsync(context, w => RestMetadataWriter.WriteModel(w, m));
        }
        catch (InferenceException e)
        {
            return ErrorResults.WriteAsync(context, e);
        }
    }

    /// <summary>Triton's model configuration extension: the version's config as Triton's clients read it.</summary>
    private static Task Config(HttpContext context, string model, string? version)
    {
        try
        {
            // The writer runs before anything is sent: an unknown model or version is still a clean error.
            var resolver = context.RequestServices.GetRequiredService<ModelResolver>();
            return JsonResponse.WriteAsync(context, w => ModelConfigView.Write(w, resolver, model, version));
        }
        catch (InferenceException e)
        {
            return ErrorResults.WriteAsync(context, e);
        }
    }

    /// <summary>Triton's statistics extension: counts and times per loaded version, as perf_analyzer reads them.</summary>
    private static Task Statistics(HttpContext context, string? model, string? version)
    {
        try
        {
            var services = context.RequestServices;
            var resolver = services.GetRequiredService<ModelResolver>();
            var table = services.GetRequiredService<ModelRepository>().Table;
            return JsonResponse.WriteAsync(context, w => ModelStatisticsView.Write(w, resolver, table, model, version));
        }
        catch (InferenceException e)
        {
            return ErrorResults.WriteAsync(context, e);
        }
    }

    private static Task Ready(HttpContext context, string model, string? version)
    {
        try
        {
            var ready = ModelMetadataView.IsReady(context.RequestServices.GetRequiredService<ModelResolver>(), model, version);
            context.Response.StatusCode = ready ? 200 : 503;
            return Task.CompletedTask;
        }
        catch (InferenceException e)
        {
            return ErrorResults.WriteAsync(context, e);
        }
    }

    private static async Task Infer(HttpContext context, string model, string version)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<WorkerOptions>>().Value;
        var service = services.GetRequiredService<InferenceService>();
        var inferring = false; // from InferAsync on, the service counts the request
        try
        {
            if (context.Request.Headers.TransferEncoding is var transfer && !TransferCodings.AreSupported(transfer))
            {
                // Kestrel undoes only the chunks of "gzip, chunked": the rest would be read as it came.
                service.Refused(model, "rest", nameof(InferenceErrorCode.Unimplemented));
                await ErrorResults.WriteAsync(context, StatusCodes.Status501NotImplemented, TransferCodings.NotSupported(transfer.ToString())).ConfigureAwait(false);
                return;
            }

            if (context.Request.Headers.ContentEncoding is { Count: > 0 } encoding && !IsIdentity(encoding))
            {
                // Still there: the decompression middleware removes the header of the encodings it inflates.
                service.Refused(model, "rest", nameof(InferenceErrorCode.Unimplemented));
                await ErrorResults.WriteAsync(context, 415, UnsupportedEncoding(encoding.ToString())).ConfigureAwait(false);
                return;
            }

            // The model and a version the path names first, as the gateway does: an unknown model is 404 whatever the body.
            services.GetRequiredService<ModelResolver>().EnsureKnown(model, version);

            var headerLength = ParseHeaderLength(context.Request);
            // No cancellation token: when the client goes away Kestrel ends the read itself (ConnectionResetException or
            // BadHttpRequestException, both handled below; a too-slow body gets 408), and a read cancelled part way may
            // leave Kestrel's reader mid-read, whose drain of the body then fails with an error in the log.
            var body = await RequestBodyReader.ReadAsync(
                context.Request, options.MaxRequestBytes, services.GetRequiredService<RequestMemoryBudget>(), headerLength ?? long.MaxValue, CancellationToken.None).ConfigureAwait(false);
            using var request = RestInferRequestReader.Read(body.Memory, headerLength, model, version, options.MaxElementsPerTensor, body);
            var deadline = ParseTimeout(context.Request);
            inferring = true;
            using var response = await service.InferAsync(
                request, "rest", deadline, context.RequestAborted, GatewayHints.FromRest(context.Request.Headers)).ConfigureAwait(false);
            context.Response.Headers[InferenceService.ServedVersionHeader] = response.ModelVersion;
            using var output = new PooledBufferWriter(4096);
            var jsonLength = RestInferResponseWriter.Write(output, response, request);
            context.Response.StatusCode = 200;
            if (jsonLength is { } n)
            {
                context.Response.ContentType = "application/octet-stream";
                context.Response.Headers[HeaderLength] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                context.Response.ContentType = "application/json";
            }

            context.Response.ContentLength = output.Length;
            await context.Response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (!inferring && Refused(service, context, model, e))
        {
            // Never taken: the filter counts a request that ended before InferAsync, and leaves it to the handlers below.
        }
        catch (InferenceException e)
        {
            await ErrorResults.WriteAsync(context, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (InvalidDataException e)
        {
            var reason = CheckedInflateStream.Reason(e) is { } why ? ": " + why : string.Empty;
            await ErrorResults.WriteAsync(context, 400, "the body could not be inflated: it is not valid for its Content-Encoding" + reason).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ErrorResults.WriteAsync(context, 413, $"the request body is over the {options.MaxRequestBytes} bytes allowed (Serving:Worker:MaxRequestBytes)").ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // The body broke off (the client closed mid-body), came too slowly (408, MinRequestBodyDataRate) or was
            // malformed (chunking): Kestrel's reason, to whoever is still there. Not an error of the worker's, so not
            // logged as one: it was "An unhandled exception was thrown by the application", with a stack, per request.
            await ErrorResults.TryWriteAsync(context, e.StatusCode, "the request body could not be read: " + e.Message).ConfigureAwait(false);
        }
        catch (IOException e) when (CallerGone.IsBadChunkSize(e))
        {
            // A chunk size too large to count; Kestrel says so with an IOException, not the BadHttpRequestException of other bad chunks.
            await ErrorResults.TryWriteAsync(context, StatusCodes.Status400BadRequest, "the request body could not be read: " + e.Message).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client reset the connection (or its HTTP/2 stream) while its body came in; nobody is left to answer.
            // Aborting the connection spares Kestrel draining a body whose read broke off, which fails and logs an error
            // ("Reading is already in progress").
            context.Abort();
        }
    }

    /// <summary>Counts a request that ended before InferAsync with the code of its answer below; false, so the answer follows.</summary>
    private static bool Refused(InferenceService service, HttpContext context, string model, Exception e)
    {
        var code = e switch
        {
            InferenceException inference => inference.Code.ToString(),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => nameof(InferenceErrorCode.ResourceExhausted),
            BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => nameof(InferenceErrorCode.DeadlineExceeded),
            _ when context.RequestAborted.IsCancellationRequested || e is OperationCanceledException || CallerGone.WhileReadingBody(context, e) => InferenceService.Cancelled,
            BadHttpRequestException or InvalidDataException => nameof(InferenceErrorCode.InvalidArgument),
            IOException when CallerGone.IsBadChunkSize(e) => nameof(InferenceErrorCode.InvalidArgument),
            _ => nameof(InferenceErrorCode.Internal),
        };
        service.Refused(model, "rest", code);
        return false;
    }

    // An empty header and one naming several encodings (which the decompression middleware leaves alone) are told so:
    // "Content-Encoding '' is not supported" and a refusal of "gzip, br" that listed gzip and br as supported said neither.
    private static string UnsupportedEncoding(string encoding) =>
        string.IsNullOrWhiteSpace(encoding) ? "Content-Encoding is empty: leave the header out for an uncompressed body, or name gzip, deflate or br"
        : encoding.Contains(',', StringComparison.Ordinal)
            ? $"Content-Encoding '{Truncate(encoding)}' names more than one encoding: compress the body once, with gzip, deflate or br, or send it uncompressed"
            : $"Content-Encoding '{Truncate(encoding)}' is not supported: send gzip, deflate, br or an uncompressed body";

    /// <summary>"identity" names no encoding (RFC 9110 reserves it for Accept-Encoding, but some clients send it).</summary>
    private static bool IsIdentity(Microsoft.Extensions.Primitives.StringValues encoding) =>
        encoding.Count == 1 && string.Equals(encoding[0]?.Trim(), "identity", StringComparison.OrdinalIgnoreCase);

    private static long ParseTimeout(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(TimeoutHeader, out var values))
        {
            return CallerDeadline.NotGiven;
        }

        var text = values.ToString();
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms))
        {
            return ms > 0 ? InferenceService.DeadlineInMilliseconds(ms) : throw InferenceException.Invalid($"{TimeoutHeader} must be a positive number of milliseconds");
        }

        // Digits too many for a long: a timeout of ages, which sets no deadline (and no default), as a day or more does.
        return text.Length > 0 && !text.AsSpan().ContainsAnyExceptInRange('0', '9')
            ? CallerDeadline.Unbounded
            : throw InferenceException.Invalid($"{TimeoutHeader} must be a positive number of milliseconds");
    }

    private static int? ParseHeaderLength(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(HeaderLength, out var values))
        {
            return null;
        }

        var text = values.ToString();
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        if (values.Count > 1 || text.Contains(','))
        {
            // Two header lines, or one with a list: which length is meant can't be told.
            throw InferenceException.Invalid($"{HeaderLength} is given more than once ({Truncate(text)}): give the length of the JSON part once");
        }

        // A number too large for any body this worker takes is a length past the body, not a malformed header.
        return ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? throw InferenceException.Invalid($"{HeaderLength} {Truncate(text)} is longer than the body")
            : throw InferenceException.Invalid($"{HeaderLength} must be a non-negative integer");
    }

    private static string Truncate(string? path) => path is null ? "/" : path.Length > 100 ? path[..100] + "…" : path;
}
