using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Drift.Alerts;
using Serving.Drift.Archive;
using Serving.Drift.Ingest;
using Serving.Drift.Monitoring;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Hosting.Metrics;

namespace Serving.Drift.Hosting;

/// <summary>Maps the drift monitor's endpoints.</summary>
public static class DriftEndpointRouteBuilderExtensions
{
    /// <summary>The gRPC ingest service, <c>GET /v2/drift/report[/{model}/{version}]</c>, health and <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapServingDrift(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<PredictionLogIngestService>();
        app.MapServingMetrics();
        app.MapProbe("/v2/health/live", () => Results.Ok());
        app.MapProbe("/v2/health/ready", Ready);
        app.MapGet("/v2/drift/report", Report);
        app.MapGet("/v2/drift/report/{model}/{version}", VersionReport);
        app.MapFallback(Serving.Protocol.Rest.RestPaths.AnyPath, NoEndpoint);
        return app;
    }

    /// <summary>
    /// 200 once started and until shutdown begins, and while the archive can write: after a failed write (the records were
    /// not acknowledged) 503 with the reason, until the folder takes a probe file or a batch again.
    /// </summary>
    private static IResult Ready(ReadinessState readiness, ArchiveWriter archive)
    {
        if (!readiness.IsReady)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        return archive.RecheckWritable() || archive.Failure is not { } failure
            ? Results.Ok()
            : Error(StatusCodes.Status503ServiceUnavailable,
                $"the prediction archive in {archive.Directory} can't be written ({failure}): batches are not acknowledged, and senders keep them to send again");
    }

    /// <summary>Every path here takes GET: another method on one of them is 405 with Allow, any other path 404, each with a JSON error.</summary>
    private static IResult NoEndpoint(HttpContext context)
    {
        var path = context.Request.Path.Value;
        var printable = Serving.Protocol.Rest.RestPaths.Printable(path);
        if (AllowedOn(path) is { } allow)
        {
            context.Response.Headers.Allow = allow;
            var (status, message) = Serving.Protocol.Rest.RestPaths.NotAllowed(context.Request.Method, printable, allow);
            return Error(status, message);
        }

        return Error(StatusCodes.Status404NotFound,
            $"no endpoint at {context.Request.Method} {printable}: the drift monitor answers GET /v2/drift/report, /v2/drift/report/{{model}}/{{version}}, /v2/health/live, /v2/health/ready and /metrics");
    }

    // The methods one of the monitor's own paths takes, matched as routing matches them: in any case (GET /V2/DRIFT/REPORT
    // is the report), with one trailing slash at most (GET /v2/drift/report// is no endpoint's, not told "use GET");
    // null for any other path.
    private static string? AllowedOn(string? path) => Serving.Protocol.Rest.RestPaths.Segments(path?.ToLowerInvariant()) switch
    {
        ["metrics"] => "GET",
        ["v2", "health", "live" or "ready"] => Serving.Protocol.Rest.RestPaths.ProbeMethods,
        ["v2", "drift", "report"] or ["v2", "drift", "report", _, _] => "GET",
        _ => null,
    };

    private static IResult Report(HttpContext context)
    {
        var services = context.RequestServices;
        var monitor = services.GetRequiredService<DriftMonitor>();
        var thresholds = services.GetRequiredService<IOptions<DriftOptions>>().Value.Thresholds;
        var document = new ReportDocument(
            DateTimeOffset.UtcNow,
            new ReportTotals(monitor.Received, monitor.Archived, monitor.Rejected, monitor.UnknownVersionRecords, services.GetRequiredService<DriftEvaluator>().Evaluations),
            new ThresholdsView(thresholds.PsiModerate, thresholds.PsiMajor, thresholds.KsAlpha, thresholds.JsThreshold, thresholds.DriftShare, thresholds.MinimumWindowSize),
            [.. monitor.Versions.Select(VersionReportView.From)],
            [.. monitor.UnknownVersions.Select(u => new UnknownVersionView(u.Key.Model, u.Key.Version, u.Value))],
            [.. services.GetRequiredService<AlertPublisher>().History.Select(AlertView.From)]);
        return Results.Json(document, ReportJsonContext.Default.ReportDocument);
    }

    private static IResult VersionReport(HttpContext context, string model, string version)
    {
        if (!WireNames.IsModel(model) || !WireNames.IsVersion(version))
        {
            return Error(StatusCodes.Status400BadRequest,
                $"'{Short(model)}' version '{Short(version)}' is not a model version: a name is 1-128 letters, digits, '_', '.' and '-', starting with a letter or digit, and a version is a positive integer");
        }

        var watched = context.RequestServices.GetRequiredService<DriftMonitor>().Find(model, version);
        return watched is null
            ? Error(StatusCodes.Status404NotFound, $"no reference profile for model '{model}' version '{version}'")
            : Results.Json(VersionReportView.From(watched), ReportJsonContext.Default.VersionReportView);
    }

    private static IResult Error(int status, string message) =>
        Results.Text(System.Text.Encoding.UTF8.GetString(ErrorJson.Body(message)), "application/json", System.Text.Encoding.UTF8, status);

    // Control characters (a %09 in the path) are not echoed, as in RestPaths.Printable.
    private static string Short(string text) =>
        text.AsSpan().ContainsAnyInRange('\0', '\u001f') ? "(invalid)" : text.Length <= 64 ? text : text[..64] + "…";
}
