using System.Net;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Drift.Monitoring;

namespace Serving.Drift.Alerts;

/// <summary>
/// POSTs each alert as JSON to <see cref="AlertOptions.WebhookUrl"/>, in order, retrying network
/// errors, timeouts, 408, 429 and 5xx with exponential backoff up to <see cref="AlertOptions.WebhookMaxAttempts"/>.
/// </summary>
internal sealed partial class WebhookSender(
    IHttpClientFactory clients, IOptions<DriftOptions> options, DriftMetrics metrics, ILogger<WebhookSender> logger) : BackgroundService
{
    /// <summary>The named HttpClient the sender uses.</summary>
    public const string ClientName = "drift-webhook";

    private readonly AlertOptions _options = options.Value.Alerts;
    private readonly Channel<DriftAlert> _pending = Channel.CreateBounded<DriftAlert>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private bool Configured => !string.IsNullOrWhiteSpace(_options.WebhookUrl);

    public void Enqueue(DriftAlert alert)
    {
        if (Configured && !_pending.Writer.TryWrite(alert))
        {
            metrics.OnWebhook("failed");
            Log.QueueFull(logger, alert.Event, alert.Model, alert.Version);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Configured)
        {
            return;
        }

        try
        {
            await foreach (var alert in _pending.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await DeliverAsync(alert, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; undelivered alerts are in the log already.
        }
    }

    private async Task DeliverAsync(DriftAlert alert, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        var delay = _options.WebhookRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var (delivered, retryable, problem) = await TryPostAsync(client, alert, cancellationToken).ConfigureAwait(false);
            if (delivered)
            {
                metrics.OnWebhook("delivered");
                return;
            }

            if (!retryable || attempt >= _options.WebhookMaxAttempts)
            {
                metrics.OnWebhook("failed");
                Log.GaveUp(logger, alert.Event, alert.Model, alert.Version, attempt, problem);
                return;
            }

            metrics.OnWebhook("retried");
            Log.Retrying(logger, alert.Event, alert.Model, alert.Version, attempt, problem, delay.TotalMilliseconds);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.WebhookMaxRetryDelay.Ticks));
        }
    }

    private async Task<(bool Delivered, bool Retryable, string Problem)> TryPostAsync(HttpClient client, DriftAlert alert, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.WebhookTimeout);
            using var response = await client.PostAsJsonAsync(_options.WebhookUrl, WebhookPayload.From(alert), AlertJsonContext.Default.WebhookPayload, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                // Not followed (HttpClient turns a POST into a bodiless GET on 301/302/303): the URL is wrong, retrying won't help.
                return (false, false, $"HTTP {status}, a redirect to {response.Headers.Location?.ToString() ?? "nowhere"} (not followed: set {DriftOptions.Section}:Alerts:WebhookUrl to the address that takes the POST)");
            }

            return response.IsSuccessStatusCode
                ? (true, false, string.Empty)
                : (false, status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests, $"HTTP {status}");
        }
        catch (HttpRequestException e)
        {
            return (false, true, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, true, $"no answer within {_options.WebhookTimeout.TotalSeconds:0.###} s");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Drift webhook: {Event} for {Model}/{Version} failed (attempt {Attempt}: {Problem}); retrying in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, string @event, string model, string version, int attempt, string problem, double delayMs);

        [LoggerMessage(2, LogLevel.Error, "Drift webhook: {Event} for {Model}/{Version} not delivered after {Attempts} attempt(s): {Problem}")]
        public static partial void GaveUp(ILogger logger, string @event, string model, string version, int attempts, string problem);

        [LoggerMessage(3, LogLevel.Error, "Drift webhook: queue full; {Event} for {Model}/{Version} not sent")]
        public static partial void QueueFull(ILogger logger, string @event, string model, string version);
    }
}
