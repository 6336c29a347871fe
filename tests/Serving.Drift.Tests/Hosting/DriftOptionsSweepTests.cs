using Serving.Drift.Hosting;

namespace Serving.Drift.Tests.Hosting;

/// <summary>
/// Every drift option at bad values (zero, negative, NaN, infinite, huge, wrong URL schemes, relative URLs, URLs with
/// credentials, paths holding a NUL): the validator refuses each with a message that starts with the option's key and
/// says what the value must be. The values the monitor would only trip over at run time (a timer or a delay past what
/// .NET takes) are among them.
/// </summary>
public sealed class DriftOptionsSweepTests
{
    private static readonly TimeSpan Huge = TimeSpan.FromDays(100_000);

    private static readonly (string Key, string Value, Action<DriftOptions> Set)[] Cases =
    [
        .. Each("BindAddress", ["", "localhost", "999.1.1.1", "http://127.0.0.1"], (o, v) => o.BindAddress = v),
        .. Each("GrpcBindAddress", ["", "pod-ip"], (o, v) => o.GrpcBindAddress = v),
        .. Each("GrpcPort", [-1, 65_536, int.MaxValue, int.MinValue], (o, v) => o.GrpcPort = v),
        .. Each("RestPort", [-1, 70_000, int.MaxValue], (o, v) => o.RestPort = v),
        ("RestPort", "= GrpcPort", o => o.RestPort = o.GrpcPort),
        .. Each("MaxConnections", [-1L, long.MaxValue], (o, v) => o.MaxConnections = v),
        .. Each("ModelRepository", ["", " ", "models\0x", "~/models", "file:///srv/models"], (o, v) => o.ModelRepository = v),
        .. Each("ProfileRetryInterval", [TimeSpan.FromTicks(-1), TimeSpan.MinValue, Huge, TimeSpan.MaxValue], (o, v) => o.ProfileRetryInterval = v),
        .. Each("MaxBatchBytes", [0, -1, 1023, int.MaxValue], (o, v) => o.MaxBatchBytes = v),
        .. Each("MaxRecordsPerBatch", [0, -1, 1_000_001], (o, v) => o.MaxRecordsPerBatch = v),
        .. Each("IngestToken", [" token", "token\t"], (o, v) => o.IngestToken = v),
        .. Each("Window:Capacity", [0, -1, int.MaxValue], (o, v) => o.Window.Capacity = v),
        .. Each("Window:MaxAge", [TimeSpan.Zero, TimeSpan.FromSeconds(-1), TimeSpan.MinValue], (o, v) => o.Window.MaxAge = v),
        .. Thresholds("PsiModerate", (o, v) => o.Thresholds.PsiModerate = v),
        .. Thresholds("PsiMajor", (o, v) => o.Thresholds.PsiMajor = v),
        .. Thresholds("KsAlpha", (o, v) => o.Thresholds.KsAlpha = v),
        .. Thresholds("JsThreshold", (o, v) => o.Thresholds.JsThreshold = v),
        .. Thresholds("DriftShare", (o, v) => o.Thresholds.DriftShare = v),
        .. Thresholds("PsiEpsilon", (o, v) => o.Thresholds.PsiEpsilon = v),
        ("Thresholds:PsiEpsilon", "1", o => o.Thresholds.PsiEpsilon = 1),
        .. Each("Thresholds:MinimumWindowSize", [0, -1, int.MinValue], (o, v) => o.Thresholds.MinimumWindowSize = v),
        ("Window:Capacity", "< MinimumWindowSize", o => o.Thresholds.MinimumWindowSize = o.Window.Capacity + 1),
        .. Each("Evaluation:EveryRecords", [-1, int.MinValue], (o, v) => o.Evaluation.EveryRecords = v),
        .. Each("Evaluation:Interval", [TimeSpan.FromTicks(-1), Huge, TimeSpan.MaxValue], (o, v) => o.Evaluation.Interval = v),
        ("Evaluation", "neither", o => (o.Evaluation.EveryRecords, o.Evaluation.Interval) = (0, TimeSpan.Zero)),
        .. Each("Evaluation:MinInterval", [TimeSpan.FromTicks(-1), TimeSpan.FromHours(2), TimeSpan.MaxValue], (o, v) => o.Evaluation.MinInterval = v),
        .. Each("Archive:Directory", ["", "  ", "prediction-logs\0x", "~/prediction-logs", "~", "file:///var/lib/prediction-logs", "file:prediction-logs"], (o, v) => o.Archive.Directory = v),
        .. Each("Archive:MaxFileBytes", [0L, -1L, 1023L, long.MinValue], (o, v) => o.Archive.MaxFileBytes = v),
        .. Each("Archive:RotationInterval", [TimeSpan.Zero, TimeSpan.FromSeconds(-1), TimeSpan.FromMilliseconds(999)], (o, v) => o.Archive.RotationInterval = v),
        .. Each("Alerts:ConsecutiveVerdicts", [0, -1, 1001, int.MaxValue], (o, v) => o.Alerts.ConsecutiveVerdicts = v),
        .. Each(
            "Alerts:WebhookUrl",
            [
                "ftp://hooks.example/drift", "hooks.example/drift", "/drift", "//hooks.example/drift", "http://", "mailto:ops@example.com",
                "file:///tmp/hook", "ws://hooks.example/drift", "http://user:secret@hooks.example/drift", "https://:token@hooks.example/drift",
                "http://hooks.example:0/drift",
            ],
            (o, v) => o.Alerts.WebhookUrl = v),
        .. Each("Alerts:WebhookTimeout", [TimeSpan.Zero, TimeSpan.FromSeconds(-1), Huge, TimeSpan.MaxValue], (o, v) => o.Alerts.WebhookTimeout = v),
        .. Each("Alerts:WebhookMaxAttempts", [0, -1, 101, int.MaxValue], (o, v) => o.Alerts.WebhookMaxAttempts = v),
        .. Each("Alerts:WebhookRetryDelay", [TimeSpan.Zero, TimeSpan.FromSeconds(-1)], (o, v) => o.Alerts.WebhookRetryDelay = v),
        ("Alerts:WebhookRetryDelay", "huge", o => (o.Alerts.WebhookRetryDelay, o.Alerts.WebhookMaxRetryDelay) = (Huge, TimeSpan.MaxValue)),
        .. Each("Alerts:WebhookMaxRetryDelay", [TimeSpan.FromMilliseconds(999), TimeSpan.MinValue, Huge, TimeSpan.MaxValue], (o, v) => o.Alerts.WebhookMaxRetryDelay = v),
    ];

    public static TheoryData<int> CaseNumbers() => [.. Enumerable.Range(0, Cases.Length)];

    [Theory]
    [MemberData(nameof(CaseNumbers))]
    public void Validate_BadValue_FailsNamingTheKeyAndWhatItMustBe(int number)
    {
        var (key, value, set) = Cases[number];
        var options = new DriftOptions();
        set(options);

        var result = new DriftOptionsValidator().Validate(null, options);

        Assert.True(result.Failed, $"Serving:Drift:{key} = {value} passed validation");
        var failures = result.Failures!.Where(f => f.StartsWith($"Serving:Drift:{key}", StringComparison.Ordinal)).ToArray();
        Assert.True(failures.Length > 0, $"Serving:Drift:{key} = {value}: no failure names the key, only: {string.Join(" | ", result.Failures!)}");
        Assert.All(failures, f => Assert.Matches(@"\b(must|is required|needs|is not|begins or ends)\b", f));
    }

    [Theory]
    [InlineData("http://hooks.example/drift")]
    [InlineData("https://hooks.example:8443/drift?token=abc")]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://[::1]:9/hook")]
    public void Validate_UsableWebhookUrl_Passes(string url)
    {
        Assert.True(new DriftOptionsValidator().Validate(null, new DriftOptions { Alerts = { WebhookUrl = url } }).Succeeded);
    }

    [Theory]
    [InlineData("prediction-logs")]
    [InlineData("/var/lib/serving/prediction-logs")]
    [InlineData("./data/~archive")]
    [InlineData("data/file:x")]
    public void Validate_FolderPaths_Pass(string path)
    {
        var options = new DriftOptions { ModelRepository = path };
        options.Archive.Directory = path;

        Assert.True(new DriftOptionsValidator().Validate(null, options).Succeeded);
    }

    /// <summary>The largest accepted values still pass (the caps must not refuse what the defaults' users set).</summary>
    [Fact]
    public void Validate_LargestAcceptedTimes_Pass()
    {
        var options = new DriftOptions { ProfileRetryInterval = TimeSpan.FromDays(1) };
        options.Evaluation.Interval = TimeSpan.FromDays(1);
        options.Alerts.WebhookTimeout = TimeSpan.FromMinutes(10);
        options.Alerts.WebhookRetryDelay = TimeSpan.FromHours(1);
        options.Alerts.WebhookMaxRetryDelay = TimeSpan.FromHours(1);
        options.Window.MaxAge = TimeSpan.MaxValue;
        options.Archive.RotationInterval = TimeSpan.MaxValue;

        var result = new DriftOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, string.Join("; ", result.Failures ?? []));
    }

    private static IEnumerable<(string, string, Action<DriftOptions>)> Each<T>(string key, T[] values, Action<DriftOptions, T> set) =>
        values.Select(v => (key, Printable(v), (Action<DriftOptions>)(o => set(o, v))));

    private static IEnumerable<(string, string, Action<DriftOptions>)> Thresholds(string name, Action<DriftOptions, double> set) =>
        Each($"Thresholds:{name}", [0, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e308], set)
            .Where(c => !(name == "PsiMajor" && c.Item2 == "1E+308")); // a huge PsiMajor is a (useless) band edge, not an error

    private static string Printable<T>(T value) => value?.ToString()?.Replace("\0", "\\0", StringComparison.Ordinal) ?? "null";
}
