using Microsoft.Extensions.Options;

namespace Serving.Hosting.Tracing;

/// <summary>Fails the start on an OTLP endpoint that is not an http(s) URL, naming the key and an example.</summary>
internal sealed class TracingOptionsValidator : IValidateOptions<TracingOptions>
{
    public ValidateOptionsResult Validate(string? name, TracingOptions options) =>
        string.IsNullOrWhiteSpace(options.OtlpEndpoint) || TracingOptions.TryEndpoint(options.OtlpEndpoint) is not null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{TracingOptions.Section}:{nameof(TracingOptions.OtlpEndpoint)} must be an http:// or https:// URL with a host, e.g. http://otel-collector:4317 (was '{options.OtlpEndpoint}')");
}
