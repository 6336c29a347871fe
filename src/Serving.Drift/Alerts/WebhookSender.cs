using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
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

    private volatile bool _stopped;

    private bool Configured => !string.IsNullOrWhiteSpace(_options.WebhookUrl);

    public void Enqueue(DriftAlert alert)
    {
        if (Configured && !_pending.Writer.TryWrite(alert))
        {
            metrics.OnWebhook("failed");
            if (_stopped)
            {
                Log.RaisedAfterStop(logger, alert.Event, alert.Model, alert.Version);
            }
            else
            {
                Log.QueueFull(logger, alert.Event, alert.Model, alert.Version);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Configured)
        {
            return;
        }

        DriftAlert? current = null;
        try
        {
            await foreach (var alert in _pending.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                current = alert;
                await DeliverAsync(alert, stoppingToken).ConfigureAwait(false);
                current = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the alert in hand and the queued ones are not sent; count them and say so (each has its own
            // alert line already), rather than drop them unseen. Alerts raised from now on are refused the same way.
            _stopped = true;
            _pending.Writer.TryComplete();
            var undelivered = current is null ? 0 : 1;
            var first = current;
            while (_pending.Reader.TryRead(out var queued))
            {
                first ??= queued;
                undelivered++;
            }

            if (first is not null)
            {
                metrics.OnWebhook("failed", undelivered);
                Log.NotDeliveredAtStop(logger, undelivered, first.Event, first.Model, first.Version);
            }
        }
    }

    private async Task DeliverAsync(DriftAlert alert, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        var delay = _options.WebhookRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var (delivered, retryable, problem, retryAfter) = await TryPostAsync(client, alert, cancellationToken).ConfigureAwait(false);
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

            // A receiver's Retry-After (a 429 or 503 says when to come back) lengthens the wait, up to WebhookMaxRetryDelay.
            var wait = retryAfter > delay ? TimeSpan.FromTicks(Math.Min(retryAfter.Ticks, _options.WebhookMaxRetryDelay.Ticks)) : delay;
            metrics.OnWebhook("retried");
            Log.Retrying(logger, alert.Event, alert.Model, alert.Version, attempt, problem, wait.TotalMilliseconds);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.WebhookMaxRetryDelay.Ticks));
        }
    }

    private async Task<(bool Delivered, bool Retryable, string Problem, TimeSpan RetryAfter)> TryPostAsync(HttpClient client, DriftAlert alert, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.WebhookTimeout);
            // Serialized first, so the POST carries Content-Length: JsonContent streams it chunked, which receivers that don't
            // take chunked bodies answer 411 (not retried) or can't read.
            using var request = new HttpRequestMessage(HttpMethod.Post, _options.WebhookUrl)
            {
                Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(WebhookPayload.From(alert), AlertJsonContext.Default.WebhookPayload))
                {
                    Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
                },
            };

            // The status is the answer; the body is not read (one that never ends, or is huge, must not hold or fill the sender).
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                // Not followed (HttpClient turns a POST into a bodiless GET on 301/302/303): the URL is wrong, retrying won't help.
                return (false, false, $"HTTP {status}, a redirect to {response.Headers.Location?.ToString() ?? "nowhere"} (not followed: set {DriftOptions.Section}:Alerts:WebhookUrl to the address that takes the POST)", TimeSpan.Zero);
            }

            return response.IsSuccessStatusCode
                ? (true, false, string.Empty, TimeSpan.Zero)
                : (false, status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests, $"HTTP {status}", RetryAfter(response));
        }
        catch (HttpRequestException e)
        {
            return (false, true, Problem(e), TimeSpan.Zero);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, true, $"no answer within {_options.WebhookTimeout.TotalSeconds:0.###} s", TimeSpan.Zero);
        }
    }

    // The answer's Retry-After as a wait from now: seconds, or a date (a past one, or a value that is neither, is no wait).
    private static TimeSpan RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } when delta > TimeSpan.Zero => delta,
        { Date: { } date } when date > DateTimeOffset.UtcNow => date - DateTimeOffset.UtcNow,
        _ => TimeSpan.Zero,
    };

    // HttpClient's own message is often "An error occurred while sending the request." or "… see inner exception": the
    // cause (a reset, an answer cut short, a certificate refused) is in the innermost exception.
    private static string Problem(HttpRequestException e)
    {
        var cause = e.GetBaseException().Message;
        return ReferenceEquals(e.GetBaseException(), e) || e.Message.Contains(cause, StringComparison.Ordinal)
            ? e.Message
            : $"{e.Message.Replace(", see inner exception.", ".", StringComparison.Ordinal)} {cause}";
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Drift webhook: {Event} for {Model}/{Version} failed (attempt {Attempt}: {Problem}); retrying in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, string @event, string model, string version, int attempt, string problem, double delayMs);

        [LoggerMessage(2, LogLevel.Error, "Drift webhook: {Event} for {Model}/{Version} not delivered after {Attempts} attempt(s): {Problem}")]
        public static partial void GaveUp(ILogger logger, string @event, string model, string version, int attempts, string problem);

        [LoggerMessage(3, LogLevel.Error, "Drift webhook: queue full; {Event} for {Model}/{Version} not sent")]
        public static partial void QueueFull(ILogger logger, string @event, string model, string version);

        [LoggerMessage(4, LogLevel.Warning, "Drift webhook: shutting down; {Count} alert(s) not delivered, from {Event} for {Model}/{Version} on (each is in the log above)")]
        public static partial void NotDeliveredAtStop(ILogger logger, int count, string @event, string model, string version);

        [LoggerMessage(5, LogLevel.Warning, "Drift webhook: shutting down; {Event} for {Model}/{Version} not sent")]
        public static partial void RaisedAfterStop(ILogger logger, string @event, string model, string version);
    }
}
