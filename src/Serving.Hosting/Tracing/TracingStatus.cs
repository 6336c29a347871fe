namespace Serving.Hosting.Tracing;

/// <summary>
/// Whether this role's spans go anywhere: an OTLP endpoint is configured, or a host's caller added an exporter
/// (<see cref="TracingServiceCollectionExtensions.AddServingTracing"/> registers it either way). A role that
/// exports nothing can skip work that only makes spans, such as HttpClient's span per outgoing call. A host that
/// sets up OpenTelemetry by itself, without that call, counts as exporting nothing.
/// </summary>
/// <param name="Exports">True when a tracer is registered.</param>
public sealed record TracingStatus(bool Exports);
