using Microsoft.Extensions.Options;

namespace Serving.Drift.Hosting;

/// <summary>Checks <see cref="DriftOptions"/> at start; every message names the key.</summary>
internal sealed class DriftOptionsValidator : IValidateOptions<DriftOptions>
{
    private const string S = DriftOptions.Section;

    // Upper bounds of the times the monitor hands to timers and delays, which refuse more than about 49 days: a larger
    // value would pass the start and stop the monitor (or its webhook) when first used.
    private static readonly TimeSpan LongestInterval = TimeSpan.FromDays(1);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromHours(1);
    private static readonly TimeSpan LongestWebhookTimeout = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, DriftOptions options)
    {
        var failures = new List<string>();
        Check(failures, System.Net.IPAddress.TryParse(options.BindAddress, out _), "BindAddress", $"'{options.BindAddress}' is not an IP address; use 127.0.0.1 for this machine only, 0.0.0.0 for every interface");
        Check(failures, options.GrpcBindAddress is null || System.Net.IPAddress.TryParse(options.GrpcBindAddress, out _), "GrpcBindAddress", $"'{options.GrpcBindAddress}' is not an IP address; use 127.0.0.1 for this machine (or pod) only, or leave it unset for BindAddress");
        Check(failures, options.GrpcPort is >= 0 and <= 65535, "GrpcPort", "must be a port number (0 picks a free port)");
        Check(failures, options.RestPort is >= 0 and <= 65535, "RestPort", "must be a port number (0 picks a free port)");
        Check(failures, options.GrpcPort == 0 || options.GrpcPort != options.RestPort, "RestPort", "must differ from GrpcPort");
        Check(failures, options.MaxConnections is >= 0 and <= int.MaxValue, "MaxConnections", "must be 0 (from the open-file limit) or a number of connections");
        CheckFolder(failures, options.ModelRepository, "ModelRepository");
        Check(failures, options.ProfileRetryInterval >= TimeSpan.Zero && options.ProfileRetryInterval <= LongestInterval, "ProfileRetryInterval", "must be between zero (every second) and 1.00:00:00");
        Check(failures, options.MaxBatchBytes is >= 1024 and <= 256 * 1024 * 1024, "MaxBatchBytes", "must be between 1024 and 268435456");
        Check(failures, options.MaxRecordsPerBatch is >= 1 and <= 1_000_000, "MaxRecordsPerBatch", "must be between 1 and 1000000");
        if (Serving.Hosting.Http.BearerToken.Unusable($"{S}:IngestToken", options.IngestToken) is { } unusable)
        {
            failures.Add(unusable);
        }

        ValidateWindow(failures, options);
        ValidateThresholds(failures, options);
        ValidateEvaluation(failures, options);
        ValidateArchive(failures, options);
        ValidateAlerts(failures, options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateWindow(List<string> failures, DriftOptions options)
    {
        try
        {
            options.Window.ThrowIfInvalid();
        }
        catch (ArgumentOutOfRangeException e)
        {
            failures.Add($"{S}:Window:{e.ParamName} must be {(e.ParamName == "Capacity" ? "at least 1" : "positive (or infinite)")}.");
        }

        Check(failures, options.Window.Capacity <= 10_000_000, "Window:Capacity", "must be at most 10000000");
    }

    private static void ValidateThresholds(List<string> failures, DriftOptions options)
    {
        try
        {
            options.Thresholds.ThrowIfInvalid();
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The scorer's message names the property and its rule; prefix the configuration path.
            failures.Add($"{S}:Thresholds:{e.ParamName}: {FirstLine(e.Message)}");
        }

        Check(
            failures,
            options.Window.Capacity >= options.Thresholds.MinimumWindowSize,
            "Window:Capacity",
            $"({options.Window.Capacity}) must be at least Thresholds:MinimumWindowSize ({options.Thresholds.MinimumWindowSize}), or no version could ever be flagged");
    }

    private static void ValidateEvaluation(List<string> failures, DriftOptions options)
    {
        var evaluation = options.Evaluation;
        Check(failures, evaluation.EveryRecords >= 0, "Evaluation:EveryRecords", "must not be negative (0 turns count-based scoring off)");
        Check(failures, evaluation.Interval >= TimeSpan.Zero && evaluation.Interval <= LongestInterval, "Evaluation:Interval", "must be between zero (timed scoring off) and 1.00:00:00");
        Check(failures, evaluation.EveryRecords > 0 || evaluation.Interval > TimeSpan.Zero, "Evaluation", "needs EveryRecords or Interval, or nothing is ever scored");
        Check(failures, evaluation.MinInterval >= TimeSpan.Zero && evaluation.MinInterval <= TimeSpan.FromHours(1), "Evaluation:MinInterval", "must be between zero (no spacing) and 01:00:00");
    }

    private static void ValidateArchive(List<string> failures, DriftOptions options)
    {
        var archive = options.Archive;
        CheckFolder(failures, archive.Directory, "Archive:Directory");
        Check(failures, archive.MaxFileBytes >= 1024, "Archive:MaxFileBytes", "must be at least 1024");
        Check(failures, archive.RotationInterval >= TimeSpan.FromSeconds(1), "Archive:RotationInterval", "must be at least 00:00:01");
    }

    private static void ValidateAlerts(List<string> failures, DriftOptions options)
    {
        var alerts = options.Alerts;
        Check(failures, alerts.ConsecutiveVerdicts is >= 1 and <= 1000, "Alerts:ConsecutiveVerdicts", "must be between 1 and 1000");
        if (!string.IsNullOrWhiteSpace(alerts.WebhookUrl) && WebhookUrlProblem(alerts.WebhookUrl) is { } problem)
        {
            failures.Add($"{S}:Alerts:WebhookUrl {problem}.");
        }

        Check(failures, alerts.WebhookTimeout > TimeSpan.Zero && alerts.WebhookTimeout <= LongestWebhookTimeout, "Alerts:WebhookTimeout", "must be positive and at most 00:10:00");
        Check(failures, alerts.WebhookMaxAttempts is >= 1 and <= 100, "Alerts:WebhookMaxAttempts", "must be between 1 and 100");
        Check(failures, alerts.WebhookRetryDelay > TimeSpan.Zero && alerts.WebhookRetryDelay <= LongestRetryDelay, "Alerts:WebhookRetryDelay", "must be positive and at most 01:00:00");
        Check(
            failures,
            alerts.WebhookMaxRetryDelay >= alerts.WebhookRetryDelay && alerts.WebhookMaxRetryDelay <= LongestRetryDelay,
            "Alerts:WebhookMaxRetryDelay",
            "must be at least WebhookRetryDelay and at most 01:00:00");
    }

    private static string? WebhookUrlProblem(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return "must be an absolute http:// or https:// URL (or empty)";
        }

        if (uri.UserInfo.Length > 0)
        {
            // HttpClient sends no Authorization for them: the receiver would answer 401 to every alert.
            return "must not hold credentials (user:password@): they are not sent; put a token the receiver checks in the path or the query instead";
        }

        return uri.Port == 0 ? "must name a port other than 0" : null;
    }

    private static void CheckFolder(List<string> failures, string path, string key)
    {
        if (FolderProblem(path) is { } problem)
        {
            failures.Add($"{S}:{key} {problem}.");
        }
    }

    // Paths the process would take literally: a shell's "~" makes a folder named "~" in the working directory.
    private static string? FolderProblem(string? path) =>
        string.IsNullOrWhiteSpace(path) ? "is required"
        : path.Contains('\0', StringComparison.Ordinal) ? "must be a folder path: it holds a NUL character"
        : path.StartsWith('~') ? $"must be a folder path as the process sees it: '~' is not expanded ('{path}' would be a folder named '~' in the working directory); write the home folder out"
        : path.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? $"must be a folder path, not a file: URL ('{path}'); write the path itself"
        : null;

    // "X must be … (Parameter 'X')\nActual value was …": keep the rule only.
    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0];
        var parameter = line.IndexOf(" (Parameter", StringComparison.Ordinal);
        return (parameter >= 0 ? line[..parameter] : line).Trim();
    }

    private static void Check(List<string> failures, bool valid, string key, string rule)
    {
        if (!valid)
        {
            failures.Add($"{S}:{key} {rule}.");
        }
    }
}
