using System.ComponentModel.DataAnnotations;

namespace Serving.Hosting.Tracing;

/// <summary>OpenTelemetry tracing (section <c>Serving:Tracing</c>): spans are exported only when an OTLP endpoint is set.</summary>
public sealed class TracingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Tracing";

    /// <summary>OTLP endpoint, e.g. http://otel-collector:4317; empty = nothing is exported.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The service.name resource attribute; defaults to serving-&lt;role&gt;.</summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// At stop, how long the role waits for the exporter to send the spans it still holds (the host's shutdown timeout
    /// bounds it too); zero leaves them to OpenTelemetry's own 5 s at disposal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ExportFlushTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The endpoint as an absolute http(s) URL with a host, or null (<c>localhost:4317</c> parses as a URI of scheme "localhost": null).</summary>
    public static Uri? TryEndpoint(string? text) =>
        Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? uri
            : null;
}
