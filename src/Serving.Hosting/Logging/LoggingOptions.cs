namespace Serving.Hosting.Logging;

/// <summary>How a role writes its console log (section <c>Serving:Logging</c>); every line inside a request carries its trace and span ids.</summary>
public sealed class LoggingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Logging";

    /// <summary>One readable line per entry, scopes (trace id) on the line after.</summary>
    public const string SimpleFormat = "simple";

    /// <summary>One JSON object per line (UTC timestamps, scopes with TraceId/SpanId), for log collectors.</summary>
    public const string JsonFormat = "json";

    /// <summary><c>simple</c> (default) or <c>json</c>.</summary>
    public string Format { get; set; } = SimpleFormat;

    internal bool IsJson => string.Equals(Format, JsonFormat, StringComparison.OrdinalIgnoreCase);
}
