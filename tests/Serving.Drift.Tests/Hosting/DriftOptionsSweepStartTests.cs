using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Drift.Tests.TestSupport;

namespace Serving.Drift.Tests.Hosting;

/// <summary>
/// The real host (Kestrel on 127.0.0.1 port 0) with one bad setting: its start fails with an
/// <see cref="OptionsValidationException"/> that names the key, rather than starting and failing later, when a timer is
/// made, an alert is sent or a path is first used.
/// </summary>
public sealed class DriftOptionsSweepStartTests
{
    private const string Huge = "100000.00:00:00";

    [Theory]
    [InlineData("Evaluation:Interval", Huge)]
    [InlineData("ProfileRetryInterval", Huge)]
    [InlineData("Alerts:WebhookTimeout", Huge)]
    [InlineData("Alerts:WebhookRetryDelay", Huge)]
    [InlineData("Alerts:WebhookMaxRetryDelay", Huge)]
    [InlineData("Alerts:WebhookUrl", "http://drift:secret@127.0.0.1:9/hook")]
    [InlineData("Alerts:WebhookUrl", "ftp://127.0.0.1/hook")]
    [InlineData("Thresholds:KsAlpha", "NaN")]
    [InlineData("Thresholds:PsiEpsilon", "-0")]
    [InlineData("Archive:Directory", "/proc/drift-archive")]
    [InlineData("Archive:Directory", "/dev/null/drift-archive")]
    [InlineData("Archive:Directory", "prediction-logs\0x")]
    [InlineData("ModelRepository", "models\0x")]
    public async Task Start_BadSetting_FailsNamingTheKey(string key, string value)
    {
        var settings = new Dictionary<string, string?> { [$"Serving:Drift:{key}"] = value };
        if (key.StartsWith("Alerts:Webhook", StringComparison.Ordinal) && key != "Alerts:WebhookUrl")
        {
            settings["Serving:Drift:Alerts:WebhookUrl"] = "http://127.0.0.1:9/hook";
        }

        if (key == "Alerts:WebhookRetryDelay")
        {
            // Not below the retry delay, so the delay's own rule is what refuses it.
            settings["Serving:Drift:Alerts:WebhookMaxRetryDelay"] = Huge;
        }

        var refused = await StartRefusedAsync(settings);

        Assert.Contains($"Serving:Drift:{key}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ArchiveDirectoryIsAFile_FailsNamingTheKey()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "not-a-folder");
        await File.WriteAllTextAsync(file, "a file");

        var refused = await StartRefusedAsync(new Dictionary<string, string?> { ["Serving:Drift:Archive:Directory"] = file });

        Assert.Contains($"Serving:Drift:Archive:Directory '{file}' is not a writable folder", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<OptionsValidationException> StartRefusedAsync(Dictionary<string, string?> settings)
    {
        using var repository = new TempFolder();
        using var archive = new TempFolder();
        var config = new Dictionary<string, string?>
        {
            ["Serving:Drift:ModelRepository"] = repository.Path,
            ["Serving:Drift:BindAddress"] = "127.0.0.1",
            ["Serving:Drift:GrpcPort"] = "0",
            ["Serving:Drift:RestPort"] = "0",
            ["Serving:Drift:Archive:Directory"] = archive.Path,
            ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "None",
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        // Building the host makes Kestrel's options, which read the validated settings: a refusal may come from either step.
        WebApplication app;
        try
        {
            app = DriftHost.Build([], config);
            await app.StartAsync();
        }
        catch (OptionsValidationException e)
        {
            return e;
        }

        await app.StopAsync();
        await app.DisposeAsync();
        Assert.Fail($"the monitor started with {string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}"))}");
        throw new InvalidOperationException("unreachable");
    }
}
