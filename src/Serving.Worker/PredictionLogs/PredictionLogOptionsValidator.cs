using Microsoft.Extensions.Options;

namespace Serving.Worker.PredictionLogs;

/// <summary>Checks <see cref="PredictionLogOptions"/> at start; every message names the key.</summary>
internal sealed class PredictionLogOptionsValidator : IValidateOptions<PredictionLogOptions>
{
    private const string S = PredictionLogOptions.Section;

    public ValidateOptionsResult Validate(string? name, PredictionLogOptions options)
    {
        var failures = new List<string>();
        if (options.IsEnabled && !IsHttpAddress(options.Endpoint!))
        {
            failures.Add($"{S}:Endpoint must be an absolute http:// or https:// address such as http://127.0.0.1:8090 (empty turns logging off), not '{options.Endpoint}'.");
        }

        if (Serving.Hosting.Http.BearerToken.Unusable($"{S}:IngestToken", options.IngestToken) is { } unusable)
        {
            failures.Add(unusable);
        }

        Check(failures, options.SampleRate is >= 0 and <= 1, "SampleRate", "must be between 0 and 1");
        Check(failures, options.QueueCapacity is >= 1 and <= 16 * 1024 * 1024, "QueueCapacity", "must be between 1 and 16777216 records");
        Check(failures, options.QueueCapacityBytes is >= 1024 * 1024 and <= 64L * 1024 * 1024 * 1024, "QueueCapacityBytes", "must be between 1048576 and 68719476736 bytes");
        Check(failures, options.BatchSize is >= 1 and <= 65_536, "BatchSize", "must be between 1 and 65536 records");
        Check(failures, options.MaxBatchBytes is >= 64 * 1024 and <= 64 * 1024 * 1024, "MaxBatchBytes", "must be between 65536 and 67108864 bytes");
        Check(failures, options.MaxUnackedBatches is >= 1 and <= 1024, "MaxUnackedBatches", "must be between 1 and 1024");
        Check(failures, Within(options.FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1)), "FlushInterval", "must be between 00:00:00.001 and 00:01:00");
        Check(failures, Within(options.AckTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10)), "AckTimeout", "must be between 00:00:00.010 and 00:10:00");
        Check(failures, Within(options.ReconnectBackoffMin, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10)), "ReconnectBackoffMin", "must be between 00:00:00.001 and 00:10:00");
        Check(failures, Within(options.ReconnectBackoffMax, options.ReconnectBackoffMin, TimeSpan.FromMinutes(10)), "ReconnectBackoffMax", "must be at least ReconnectBackoffMin and at most 00:10:00");
        Check(failures, Within(options.ShutdownFlushTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10)), "ShutdownFlushTimeout", "must be between 00:00:00 and 00:10:00");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHttpAddress(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static bool Within(TimeSpan value, TimeSpan min, TimeSpan max) => value >= min && value <= max;

    private static void Check(List<string> failures, bool valid, string key, string rule)
    {
        if (!valid)
        {
            failures.Add($"{S}:{key} {rule}.");
        }
    }
}
