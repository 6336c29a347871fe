using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Drift.Alerts;
using Serving.Drift.Ingest;
using Serving.Drift.Monitoring;
using Serving.Hosting.Health;
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
        app.MapGet("/v2/health/live", () => Results.Ok());
        app.MapGet("/v2/health/ready", (ReadinessState readiness) => readiness.IsReady ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/v2/drift/report", Report);
        app.MapGet("/v2/drift/report/{model}/{version}", VersionReport);
        return app;
    }

    private static IResult Report(HttpContext context)
    {
        var services = context.RequestServices;
        var monitor = services.GetRequiredService<DriftMonitor>();
        var thresholds = services.GetRequiredService<IOptions<DriftOptions>>().Value.Thresholds;
        var document = new ReportDocument(
            DateTimeOffset.UtcNow,
            new ReportTotals(monitor.Received, monitor.Archived, monitor.Rejected, monitor.UnknownVersionRecords, services.GetRequiredService<DriftEvaluator>().Evaluations),
            new ThresholdsView(thresholds.PsiThreshold, thresholds.KsAlpha, thresholds.JsThreshold, thresholds.DriftShare, thresholds.MinimumWindowSize),
            [.. monitor.Versions.Select(VersionReportView.From)],
            [.. monitor.UnknownVersions.Select(u => new UnknownVersionView(u.Key.Model, u.Key.Version, u.Value))],
            [.. services.GetRequiredService<AlertPublisher>().History.Select(AlertView.From)]);
        return Results.Json(document, ReportJsonContext.Default.ReportDocument);
    }

    private static IResult VersionReport(HttpContext context, string model, string version)
    {
        var monitor = context.RequestServices.GetRequiredService<DriftMonitor>();
        var watched = WireNames.IsModel(model) && WireNames.IsVersion(version) ? monitor.Find(model, version) : null;
        return watched is null
            ? Results.Json(new ErrorView($"no reference profile for model '{Short(model)}' version '{Short(version)}'"), ReportJsonContext.Default.ErrorView, statusCode: StatusCodes.Status404NotFound)
            : Results.Json(VersionReportView.From(watched), ReportJsonContext.Default.VersionReportView);
    }

    private static string Short(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
