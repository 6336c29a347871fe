using Microsoft.Extensions.Options;

namespace Serving.Hosting.Logging;

/// <summary>Fails the start on an unknown log format, naming the key and the choices.</summary>
internal sealed class LoggingOptionsValidator : IValidateOptions<LoggingOptions>
{
    public ValidateOptionsResult Validate(string? name, LoggingOptions options) =>
        string.Equals(options.Format, LoggingOptions.SimpleFormat, StringComparison.OrdinalIgnoreCase) || options.IsJson
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{LoggingOptions.Section}:{nameof(LoggingOptions.Format)} must be '{LoggingOptions.SimpleFormat}' or '{LoggingOptions.JsonFormat}' (was '{options.Format}')");
}
