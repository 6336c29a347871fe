using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Alerts;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Drift.Hosting;
using Serving.Drift.Monitoring;
using Serving.Drift.Scoring;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Alerts;

/// <summary>
/// The alert publisher and the webhook sender as the monitor wires them (real HttpClient factory,
/// real Prometheus registry), logging into memory, posting to a real Kestrel receiver.
/// </summary>
public sealed class AlertDeliveryTests
{
    private static readonly DriftAlert Started = new(
        "tabular", "1", DriftAlertTransition.Started, DateTimeOffset.UnixEpoch, 900, 600, ["mean_texture", "mean_area"], 2.0 / 30, "probabilities[1]", true);

    private static readonly DriftAlert Stopped = Started with { Transition = DriftAlertTransition.Stopped, AtRecord = 1300, DriftingFeatures = [], DriftingFeatureShare = 0, PredictionDrifting = false };

    [Fact]
    public async Task Raise_StartThenStop_LogsAWarningNamingTheFeaturesThenAnInformation()
    {
        await using var alerts = await AlertServices.StartAsync(webhookUrl: null);

        alerts.Publisher.Raise(Started);
        alerts.Publisher.Raise(Stopped);

        Assert.Equal(
            [
                (LogLevel.Warning, "Drift alert: tabular version 1 started drifting: 2 feature(s) drift (share 0.067): [mean_texture, mean_area]; prediction drifting: True; window 600 records, at record 900"),
                (LogLevel.Information, "Drift alert: tabular version 1 stopped drifting; window 600 records, at record 1300"),
            ],
            alerts.Logs.Entries.Where(e => e.Category == typeof(AlertPublisher).FullName).Select(e => (e.Level, e.Message)));
    }

    [Fact]
    public async Task Raise_VersionRemoved_LogsThatItStoppedBecauseTheVersionWasRemoved()
    {
        await using var alerts = await AlertServices.StartAsync(webhookUrl: null);

        alerts.Publisher.Raise(DriftAlert.Removed("tabular", "1", "probabilities[1]", DateTimeOffset.UnixEpoch, 1300, 600));

        var entry = Assert.Single(alerts.Logs.Entries, e => e.Category == typeof(AlertPublisher).FullName);
        Assert.Equal(
            (LogLevel.Information, "Drift alert: tabular version 1 stopped drifting: its reference profile left the repository (the version was removed); at record 1300"),
            (entry.Level, entry.Message));
        Assert.Equal(("drift_stopped", "version_removed"), (alerts.Publisher.History[0].Event, alerts.Publisher.History[0].ReasonName));
    }

    [Fact]
    public async Task Webhook_AlwaysFailing_StopsAfterMaxAttempts_LoggedAndCounted()
    {
        const int MaxAttempts = 3;
        await using var webhook = await WebhookReceiver.StartAsync(failFirst: int.MaxValue);
        await using var alerts = await AlertServices.StartAsync(webhook.Url, MaxAttempts);
        var failedBefore = await MetricsText.ValueAsync(Deliveries("failed"));
        var retriedBefore = await MetricsText.ValueAsync(Deliveries("retried"));

        // Alerts are delivered one at a time, in order: the second one's attempts only begin once the first gave up.
        alerts.Publisher.Raise(Started);
        alerts.Publisher.Raise(Stopped);
        await Eventually.TrueAsync(() => GaveUp(alerts).Length == 2, "both alerts given up");

        Assert.Equal(
            [.. Enumerable.Repeat("drift_started", MaxAttempts), .. Enumerable.Repeat("drift_stopped", MaxAttempts)],
            webhook.Calls.Select(c => JsonDocument.Parse(c.Body).RootElement.GetProperty("event").GetString()));
        Assert.All(webhook.Calls, c => Assert.Equal(500, c.Status));
        Assert.Equal(
            [
                $"Drift webhook: drift_started for tabular/1 not delivered after {MaxAttempts} attempt(s): HTTP 500",
                $"Drift webhook: drift_stopped for tabular/1 not delivered after {MaxAttempts} attempt(s): HTTP 500",
            ],
            GaveUp(alerts).Select(e => e.Message));
        Assert.Equal(failedBefore + 2, await MetricsText.ValueAsync(Deliveries("failed")));
        Assert.Equal(retriedBefore + (2 * (MaxAttempts - 1)), await MetricsText.ValueAsync(Deliveries("retried")));
    }

    /// <summary>
    /// A webhook URL that answers 302 (moved, or http to https): HttpClient followed it as a GET without the alert, the
    /// GET's 200 counted the alert delivered, and no receiver ever saw it. Now a redirect is a failure that names where
    /// it points, not retried.
    /// </summary>
    [Fact]
    public async Task Webhook_Redirected_NotFollowed_CountedFailed_NotDelivered()
    {
        await using var webhook = await WebhookReceiver.StartAsync(failFirst: 0);
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:Drift:Alerts:WebhookUrl"] = webhook.MovedUrl,
            ["Serving:Drift:Alerts:WebhookRetryDelay"] = "00:00:00.01",
        });
        var delivered = await MetricsText.ValueAsync(Deliveries("delivered"));
        var failed = await MetricsText.ValueAsync(Deliveries("failed"));

        drift.Alerts.Raise(Started);

        await Eventually.TrueAsync(async () => await MetricsText.ValueAsync(Deliveries("failed")) == failed + 1, "the redirected alert counted failed");
        Assert.Equal(delivered, await MetricsText.ValueAsync(Deliveries("delivered")));
        Assert.Equal([(302, "POST /moved")], webhook.Calls);
    }

    private static string Deliveries(string outcome) => $"serving_drift_webhook_deliveries_total{{outcome=\"{outcome}\"}}";

    private static CapturedLog[] GaveUp(AlertServices alerts) =>
        [.. alerts.Logs.Entries.Where(e => e.Category == typeof(WebhookSender).FullName && e.Level == LogLevel.Error)];

    private sealed class AlertServices : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;

        private AlertServices(ServiceProvider provider, CapturingLoggerProvider logs)
        {
            _provider = provider;
            Logs = logs;
        }

        public CapturingLoggerProvider Logs { get; }

        public AlertPublisher Publisher => _provider.GetRequiredService<AlertPublisher>();

        private WebhookSender Sender => _provider.GetRequiredService<WebhookSender>();

        public static async Task<AlertServices> StartAsync(string? webhookUrl, int maxAttempts = 5)
        {
            var logs = new CapturingLoggerProvider();
            var services = new ServiceCollection();
            services.AddLogging(b => b.AddProvider(logs));
            services.AddHttpClient(WebhookSender.ClientName);
            services.AddSingleton(Options.Create(new DriftOptions
            {
                Alerts = new AlertOptions
                {
                    WebhookUrl = webhookUrl,
                    WebhookMaxAttempts = maxAttempts,
                    WebhookRetryDelay = TimeSpan.FromMilliseconds(10),
                    WebhookMaxRetryDelay = TimeSpan.FromMilliseconds(20),
                },
            }));
            services.AddSingleton<DriftMetrics>();
            services.AddSingleton<WebhookSender>();
            services.AddSingleton<AlertPublisher>();
            var alerts = new AlertServices(services.BuildServiceProvider(), logs);
            await alerts.Sender.StartAsync(CancellationToken.None);
            return alerts;
        }

        public async ValueTask DisposeAsync()
        {
            await Sender.StopAsync(CancellationToken.None);
            await _provider.DisposeAsync();
        }
    }
}
