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
}
