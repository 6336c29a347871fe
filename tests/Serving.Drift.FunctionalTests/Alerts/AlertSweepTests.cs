using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Drift.Alerts;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Drift.Scoring;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Alerts;

/// <summary>
/// The webhook against receivers that misbehave (a raw TCP listener on 127.0.0.1: 5xx, 429 with sane and absurd
/// Retry-After, 3xx to itself and elsewhere, 4xx, bodies that never end or are large, no answer, connections closed or
/// reset mid-request, broken status lines, a TLS-only port, a refused port, an unresolvable host), each in a real monitor
/// that meanwhile takes an ingest batch and scores it. The oracle: each alert is tried at most WebhookMaxAttempts times
/// (once for what is not retried), the logged waits are the documented doubling capped at WebhookMaxRetryDelay (a
/// Retry-After that asks for longer waits the cap), every alert ends counted delivered or failed (failed with a log line giving the reason), a version's
/// start and stop reach the receiver in order, ingest and scoring carry on, no other warning or error is logged and the
/// monitor stops within a bound.
/// </summary>
public sealed class AlertSweepTests
{
    private const int Attempts = 3;
    private const string Quick = "00:00:01"; // attempts that can only end by timing out
    private const string Patient = "00:00:10"; // attempts the receiver answers: never reached, so a busy machine can't turn them into timeouts

    private static readonly string[] LoggedWaits = ["retrying in 50 ms", "retrying in 80 ms"]; // 50 ms doubled, capped at 80

    // The cases whose Retry-After asks for more than the backoff: each wait is the cap. A negative or unreadable one is no wait.
    private static readonly HashSet<string> LongerRetryAfter = ["503, Retry-After 1", "503, Retry-After 999999999", "429, Retry-After in year 9999"];

    /// <summary>The receiver, the attempt timeout, and the outcome: attempts per alert, and the reason of a failure (null: delivered).</summary>
    private static readonly Dictionary<string, (Func<AlertSweepReceiver> Receiver, string Timeout, int Attempts, string? Reason)> Cases = new()
    {
        ["500"] = (() => new(AlertSweepReceiver.Status(500)), Patient, Attempts, "HTTP 500"),
        ["503, Retry-After 1"] = (() => new(AlertSweepReceiver.Status(503, "Retry-After: 1")), Patient, Attempts, "HTTP 503"),
        ["503, Retry-After 999999999"] = (() => new(AlertSweepReceiver.Status(503, "Retry-After: 999999999")), Patient, Attempts, "HTTP 503"),
        ["429"] = (() => new(AlertSweepReceiver.Status(429)), Patient, Attempts, "HTTP 429"),
        ["429, Retry-After in year 9999"] = (() => new(AlertSweepReceiver.Status(429, "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT")), Patient, Attempts, "HTTP 429"),
        ["429, Retry-After -5"] = (() => new(AlertSweepReceiver.Status(429, "Retry-After: -5")), Patient, Attempts, "HTTP 429"),
        ["429, Retry-After soon"] = (() => new(AlertSweepReceiver.Status(429, "Retry-After: soon")), Patient, Attempts, "HTTP 429"),
        ["408"] = (() => new(AlertSweepReceiver.Status(408)), Patient, Attempts, "HTTP 408"),
        ["400"] = (() => new(AlertSweepReceiver.Status(400)), Patient, 1, "HTTP 400"),
        ["401 Basic"] = (() => new(AlertSweepReceiver.Status(401, "WWW-Authenticate: Basic realm=\"hooks\"")), Patient, 1, "HTTP 401"),
        ["404"] = (() => new(AlertSweepReceiver.Status(404)), Patient, 1, "HTTP 404"),
        ["413"] = (() => new(AlertSweepReceiver.Status(413)), Patient, 1, "HTTP 413"),
        ["302 to itself"] = (() => new(AlertSweepReceiver.Status(302, "Location: /hook")), Patient, 1, "HTTP 302, a redirect to /hook (not followed"),
        ["307 to another port"] = (() => new(AlertSweepReceiver.Status(307, "Location: http://127.0.0.2:1/elsewhere")), Patient, 1, "HTTP 307, a redirect to http://127.0.0.2:1/elsewhere"),
        ["308 to https"] = (() => new(AlertSweepReceiver.Status(308, "Location: https://127.0.0.1:1/hook")), Patient, 1, "HTTP 308, a redirect to https://127.0.0.1:1/hook"),
        ["303 without Location"] = (() => new(AlertSweepReceiver.Status(303)), Patient, 1, "HTTP 303, a redirect to nowhere"),
        ["200, a body that never ends"] = (() => Self(r => r.EndlessBody(200, chunked: false)), Quick, 1, null),
        ["200, a chunked body that never ends"] = (() => Self(r => r.EndlessBody(200, chunked: true)), Quick, 1, null),
        ["500, a body that never ends"] = (() => Self(r => r.EndlessBody(500, chunked: false)), Quick, Attempts, "HTTP 500"),
        ["200, 24 MiB body"] = (() => new(AlertSweepReceiver.LargeBody(24 * 1024 * 1024)), Patient, 1, null),
        ["204"] = (() => new(AlertSweepReceiver.Status(204)), Patient, 1, null),
        ["100 Continue, then 200"] = (() => new(AlertSweepReceiver.Raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")), Patient, 1, null),
        ["200, body until the close"] = (() => new(AlertSweepReceiver.Raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"ok\":true}")), Patient, 1, null),
        ["no answer"] = (() => Self(r => r.Hang()), Quick, Attempts, "no answer within 1 s"),
        ["no answer, request unread"] = (() => Self(r => r.Hang(), readsRequest: false), Quick, Attempts, "no answer within 1 s"),
        ["closed mid-request"] = (() => new(AlertSweepReceiver.CloseMidRequest(reset: false), readsRequest: false), Patient, Attempts, ""),
        ["reset mid-request"] = (() => new(AlertSweepReceiver.CloseMidRequest(reset: true), readsRequest: false), Patient, Attempts, ""),
        ["closed without an answer"] = (() => new(static (_, _) => Task.CompletedTask), Patient, Attempts, ""),
        ["not HTTP"] = (() => new(AlertSweepReceiver.Raw("HELLO THERE\r\n\r\n")), Patient, Attempts, ""),
        ["status line cut short"] = (() => new(AlertSweepReceiver.Raw("HTTP/1.1 20")), Patient, Attempts, ""),
        ["TLS only"] = (() => new(Tls, readsRequest: false), Patient, Attempts, ""),
        ["200 with 100 KiB of headers"] = (() => new(AlertSweepReceiver.Status(200, "X-Big: " + new string('x', 100 * 1024))), Patient, Attempts, ""),
        ["100 Continue, then the close"] = (() => new(AlertSweepReceiver.Raw("HTTP/1.1 100 Continue\r\n\r\n")), Patient, Attempts, ""),
        ["101 Switching Protocols"] = (() => new(AlertSweepReceiver.Raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")), Patient, 1, "HTTP 101"),
        ["411 to a body without Content-Length"] = (() => new(AlertSweepReceiver.Status(200), lengthRequired: true), Patient, 1, null),
        ["HTTP/1.0 200, no length"] = (() => new(AlertSweepReceiver.Raw("HTTP/1.0 200 OK\r\n\r\nok")), Patient, 1, null),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task MisbehavingReceiver_AttemptsBounded_OutcomeCountedAndLogged_IngestGoesOn(string name)
    {
        var (makeReceiver, timeout, attempts, reason) = Cases[name];
        await using var receiver = makeReceiver();

        var logs = await SweepAsync(receiver.Url, timeout, attempts, reason, LongerRetryAfter.Contains(name) ? ["retrying in 80 ms", "retrying in 80 ms"] : LoggedWaits);

        Assert.Equal(2 * attempts, receiver.Accepted);
        if (receiver.Events.Count > 0)
        {
            // A version's start and stop arrive in order, each alert's attempts together.
            Assert.Equal([.. Enumerable.Repeat("drift_started sweep/1", attempts), .. Enumerable.Repeat("drift_stopped sweep/1", attempts)], receiver.Events);
        }

        AssertOnlyTheWebhooksOwnLines(logs);
    }

    /// <summary>
    /// A 503 or 429 whose Retry-After asks for longer than the backoff is retried after that long, when the cap allows it
    /// (Slack's and most hosted receivers' rate limits say when to come back); one that asks for less, or for a date
    /// already past, leaves the backoff's wait. Before, Retry-After was not read: the wait was the backoff's, 50 ms here.
    /// </summary>
    [Theory]
    [InlineData("Retry-After: 1", "retrying in 1000 ms")]
    [InlineData("Retry-After: 0", "retrying in 50 ms")]
    [InlineData("Retry-After: Thu, 01 Jan 2015 00:00:00 GMT", "retrying in 50 ms")]
    public async Task RetryAfter_LongerThanTheBackoff_IsWaited_UpToTheCap(string header, string wait)
    {
        await using var receiver = new AlertSweepReceiver(AlertSweepReceiver.Status(503, header));
        var logs = new CapturingLoggerProvider();
        var drift = await DriftServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Serving:Drift:Alerts:WebhookUrl"] = receiver.Url,
                ["Serving:Drift:Alerts:WebhookMaxAttempts"] = "2",
                ["Serving:Drift:Alerts:WebhookRetryDelay"] = "00:00:00.050",
                ["Serving:Drift:Alerts:WebhookMaxRetryDelay"] = "00:00:05",
            },
            tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        try
        {
            drift.Alerts.Raise(Started("1"));
            await Eventually.TrueAsync(
                () => logs.Entries.Any(e => e.Category == typeof(WebhookSender).FullName && e.Level == LogLevel.Error),
                "the alert given up after its 2 attempts",
                TimeSpan.FromSeconds(30));
        }
        finally
        {
            await drift.DisposeAsync();
        }

        var retrying = logs.Entries.Where(e => e.Category == typeof(WebhookSender).FullName && e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.EndsWith($"(attempt 1: HTTP 503); {wait}", Assert.Single(retrying), StringComparison.Ordinal);
        Assert.Equal(2, receiver.Accepted);
    }

    [Fact]
    public async Task RefusedPort_RetriedThenFailed_NamingTheRefusal()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        AssertOnlyTheWebhooksOwnLines(await SweepAsync($"http://127.0.0.1:{port}/hook", Patient, Attempts, "refused"));
    }

    [Fact]
    public async Task UnresolvableHost_RetriedThenFailed()
    {
        // .invalid never resolves (RFC 2606); a resolver that can't be reached times out instead: failed either way.
        AssertOnlyTheWebhooksOwnLines(await SweepAsync("http://drift-webhook.invalid/hook", Quick, Attempts, ""));
    }

    [Fact]
    public async Task HttpsToAnUntrustedCertificate_RetriedThenFailed()
    {
        await using var receiver = new AlertSweepReceiver(Tls, readsRequest: false);

        AssertOnlyTheWebhooksOwnLines(await SweepAsync($"https://127.0.0.1:{receiver.Port}/hook", Patient, Attempts, "SSL"));
        Assert.Equal(2 * Attempts, receiver.Accepted);
    }

    /// <summary>
    /// A receiver that takes the POST and never answers, with a long attempt timeout: ingest is acknowledged and scored,
    /// alerts raised meanwhile are logged and listed in the report at once (queued behind the held one, not sent beside
    /// it), and the monitor stops without waiting for the attempt. The alerts left undelivered at the stop (the held one
    /// and the queued ones), and one raised after it, are counted failed and said so, not dropped unseen.
    /// </summary>
    [Fact]
    public async Task HungReceiver_IngestScoringAndLaterAlertsGoOn_ShutdownNotHeld()
    {
        await using var receiver = Self(r => r.Hang());
        var logs = new CapturingLoggerProvider();
        var before = await CountsAsync();
        var drift = await StartHeldAsync(receiver, logs);
        try
        {

            await IngestAndScoreAsync(drift);
            RaiseStarted(drift, 2, 21);

            using var report = await drift.Http.GetAsync("/v2/drift/report");
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
            Assert.Equal(21, Regex.Matches(await report.Content.ReadAsStringAsync(), "\"event\":\"drift_started\"").Count);
            Assert.Equal(21, logs.Entries.Count(e => e.Category == typeof(AlertPublisher).FullName));
            Assert.Equal((1, 1), (receiver.Accepted, receiver.Holding));

            var publisher = drift.Alerts;
            await drift.App.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
            publisher.Raise(Started("22"));
        }
        finally
        {
            await drift.DisposeAsync();
        }

        var after = await CountsAsync();
        Assert.Equal((0d, 22d, 0d), (after.Delivered - before.Delivered, after.Failed - before.Failed, after.Retried - before.Retried));
        Assert.Equal(
            [
                "Drift webhook: shutting down; 21 alert(s) not delivered, from drift_started for sweep/1 on (each is in the log above)",
                "Drift webhook: shutting down; drift_started for sweep/22 not sent",
            ],
            logs.Entries.Where(e => e.Category == typeof(WebhookSender).FullName).Select(e => e.Message));
        Assert.Equal(1, receiver.Accepted);
        AssertOnlyTheWebhooksOwnLines(logs);
    }

    /// <summary>
    /// Behind a hung receiver the queue fills (1024 alerts wait): a later alert is refused at once, counted failed and
    /// logged as such, and raising it never waits; at the stop the held one and the 1024 queued are counted failed too.
    /// </summary>
    [Fact]
    public async Task HungReceiver_QueueFull_LaterAlertsRefusedCountedAndLogged_NoneUnseen()
    {
        const int Queue = 1024;
        const int Refused = 5;
        await using var receiver = Self(r => r.Hang());
        var logs = new CapturingLoggerProvider();
        var before = await CountsAsync();
        var drift = await StartHeldAsync(receiver, logs);
        try
        {
            RaiseStarted(drift, 2, 1 + Queue + Refused);

            Assert.Equal(Refused, (await CountsAsync()).Failed - before.Failed);
            await drift.App.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await drift.DisposeAsync();
        }

        var lines = logs.Entries.Where(e => e.Category == typeof(WebhookSender).FullName).Select(e => e.Message).ToArray();
        Assert.Equal(
            [
                .. Enumerable.Range(2 + Queue, Refused).Select(v => $"Drift webhook: queue full; drift_started for sweep/{v} not sent"),
                $"Drift webhook: shutting down; {1 + Queue} alert(s) not delivered, from drift_started for sweep/1 on (each is in the log above)",
            ],
            lines);
        Assert.Equal(1 + Queue + Refused, (await CountsAsync()).Failed - before.Failed);
        Assert.Equal(1, receiver.Accepted);
    }

    // A monitor whose webhook attempts last a minute, with sweep/1's start held by the hung receiver.
    private static async Task<DriftServer> StartHeldAsync(AlertSweepReceiver receiver, CapturingLoggerProvider logs)
    {
        var drift = await StartAsync(receiver.Url, "00:01:00", logs);
        try
        {
            drift.Alerts.Raise(Started("1"));
            await Eventually.TrueAsync(() => receiver.Holding == 1, "the first alert's POST held unanswered");
            return drift;
        }
        catch
        {
            await drift.DisposeAsync();
            throw;
        }
    }

    private static void RaiseStarted(DriftServer drift, int firstVersion, int lastVersion)
    {
        for (var version = firstVersion; version <= lastVersion; version++)
        {
            drift.Alerts.Raise(Started(version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private static AlertSweepReceiver Self(Func<AlertSweepReceiver, Func<Stream, CancellationToken, Task>> misbehaviour, bool readsRequest = true)
    {
        AlertSweepReceiver? receiver = null;
        receiver = new AlertSweepReceiver((stream, token) => misbehaviour(receiver!)(stream, token), readsRequest);
        return receiver;
    }

    // Raises a start and a stop of sweep/1 while a batch is ingested and scored, waits until both alerts are counted
    // delivered or failed, and checks the counts, the attempts and the failure lines. Returns the monitor's log.
    private static async Task<CapturingLoggerProvider> SweepAsync(string url, string timeout, int attempts, string? reason, string[]? waits = null)
    {
        var logs = new CapturingLoggerProvider();
        var before = await CountsAsync();
        var drift = await StartAsync(url, timeout, logs);
        try
        {
            drift.Alerts.Raise(Started("1"));
            drift.Alerts.Raise(Started("1") with { Transition = DriftAlertTransition.Stopped, AtRecord = 1300, DriftingFeatures = [] });
            await IngestAndScoreAsync(drift);
            await Eventually.TrueAsync(
                async () => (await CountsAsync()) is var now && now.Delivered + now.Failed - before.Delivered - before.Failed >= 2,
                "both alerts counted delivered or failed",
                TimeSpan.FromSeconds(30));

            await drift.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await drift.DisposeAsync();
        }

        var after = await CountsAsync();
        var failed = reason is null ? 0 : 2;
        Assert.Equal(((double)(2 - failed), (double)failed, (double)(2 * (attempts - 1))), (after.Delivered - before.Delivered, after.Failed - before.Failed, after.Retried - before.Retried));

        var lines = logs.Entries.Where(e => e.Category == typeof(WebhookSender).FullName).ToArray();
        var gaveUp = lines.Where(e => e.Level == LogLevel.Error).Select(e => e.Message).ToArray();
        if (reason is not null)
        {
            Assert.Equal(2, gaveUp.Length);
            Assert.StartsWith($"Drift webhook: drift_started for sweep/1 not delivered after {attempts} attempt(s): ", gaveUp[0], StringComparison.Ordinal);
            Assert.StartsWith($"Drift webhook: drift_stopped for sweep/1 not delivered after {attempts} attempt(s): ", gaveUp[1], StringComparison.Ordinal);
            Assert.All(gaveUp, g => Assert.Contains(reason, g, StringComparison.Ordinal));
            Assert.All(gaveUp, g => Assert.False(g.EndsWith("attempt(s): ", StringComparison.Ordinal), $"no reason given: {g}"));

            // HttpClient's outer message alone says nothing of the cause, or points at an inner exception nobody logs.
            Assert.All(gaveUp, g => Assert.False(g.EndsWith("An error occurred while sending the request.", StringComparison.Ordinal), $"no cause given: {g}"));
            Assert.All(gaveUp, g => Assert.DoesNotContain("see inner exception", g, StringComparison.Ordinal));
        }
        else
        {
            Assert.Empty(gaveUp);
        }

        // The waits logged between attempts are the documented ones, bounded whatever the receiver said.
        waits ??= LoggedWaits;
        var retrying = lines.Where(e => e.Level == LogLevel.Warning).Select(e => Regex.Match(e.Message, "retrying in [0-9]+ ms$").Value).ToArray();
        Assert.Equal([.. waits.Take(attempts - 1), .. waits.Take(attempts - 1)], retrying);
        return logs;
    }

    private static Task<DriftServer> StartAsync(string url, string timeout, CapturingLoggerProvider logs) =>
        DriftServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Serving:Drift:Alerts:WebhookUrl"] = url,
                ["Serving:Drift:Alerts:WebhookTimeout"] = timeout,
                ["Serving:Drift:Alerts:WebhookMaxAttempts"] = Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Serving:Drift:Alerts:WebhookRetryDelay"] = "00:00:00.050",
                ["Serving:Drift:Alerts:WebhookMaxRetryDelay"] = "00:00:00.080",
                ["Serving:Drift:Evaluation:EveryRecords"] = "10",
                ["Serving:Drift:Evaluation:Interval"] = "00:00:00",
                ["Serving:Drift:Evaluation:MinInterval"] = "00:00:00",
            },
            tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));

    // A batch of ten tabular records is acknowledged, and scored (EveryRecords 10), whatever the webhook is doing.
    private static async Task IngestAndScoreAsync(DriftServer drift)
    {
        await using (var client = new IngestClient(drift))
        {
            await client.SendAsync(Batches.ReferenceBatch(ReferenceRows.Load("tabular", "1"), new Random(7), 10, "sweep"));
        }

        await Eventually.TrueAsync(() => drift.Version("tabular", "1").Latest?.AtRecord == 10, "the batch scored");
    }

    private static DriftAlert Started(string version) =>
        new("sweep", version, DriftAlertTransition.Started, DateTimeOffset.UnixEpoch, 900, 600, ["mean_area"], 1.0 / 30, "probabilities[1]", false);

    // Besides the alert lines and the webhook's own (a warning per retry, an error per alert given up), nothing at
    // Warning or above (an exception that escaped a service would be an error of the host's).
    private static void AssertOnlyTheWebhooksOwnLines(CapturingLoggerProvider logs) =>
        Assert.DoesNotContain(
            logs.Entries,
            e => e.Level >= LogLevel.Warning && e.Category != typeof(WebhookSender).FullName && e.Category != typeof(AlertPublisher).FullName);

    private static async Task<(double Delivered, double Failed, double Retried)> CountsAsync() => (
        await MetricsText.ValueAsync("serving_drift_webhook_deliveries_total{outcome=\"delivered\"}"),
        await MetricsText.ValueAsync("serving_drift_webhook_deliveries_total{outcome=\"failed\"}"),
        await MetricsText.ValueAsync("serving_drift_webhook_deliveries_total{outcome=\"retried\"}"));

    // A TLS-only port: a handshake with a self-signed certificate, which the monitor's client does not trust; plain
    // HTTP sent to it fails the handshake.
    private static async Task Tls(Stream stream, CancellationToken token)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, token);
            await tls.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, token);
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
            // Not TLS, or a client that refused the certificate.
        }
    }
}
