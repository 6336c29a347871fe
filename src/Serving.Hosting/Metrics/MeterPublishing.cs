using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using Microsoft.Extensions.Configuration;

namespace Serving.Hosting.Metrics;

/// <summary>
/// Which .NET meter instruments prometheus-net's meter adapter publishes on <c>/metrics</c>.
/// </summary>
/// <remarks>
/// <para>
/// The adapter records every measurement of every instrument it publishes, under a reader-writer lock and a
/// lifetime lease per label set. ASP.NET Core, Kestrel, the memory pool and HttpClient record several measurements
/// per request (request duration, active requests, queued requests, route matches, memory rented), and on the
/// worker's hot path that was about 15% of the process's CPU under load (perf, tabular at concurrency 64). The
/// project's own <c>serving_*</c> series already count and time every request, so by default only the instruments
/// that cost nothing per request are published: observable ones (read at scrape time), the runtime's meter, and
/// the per-connection instruments of Kestrel and HttpClient.
/// </para>
/// <para>
/// <c>Serving:Metrics:PerRequestMeters=true</c> publishes every instrument. The adapters are one per process and
/// read this choice once, at the process's first scrape: the last host built before it decides for every role in it.
/// </para>
/// </remarks>
public static class MeterPublishing
{
    /// <summary>The configuration key.</summary>
    public const string PerRequestMetersKey = "Serving:Metrics:PerRequestMeters";

    // Measured once per connection (or TLS handshake), not per request.
    private static readonly HashSet<string> PerConnection = new(StringComparer.Ordinal)
    {
        "kestrel.active_connections",
        "kestrel.connection.duration",
        "kestrel.queued_connections",
        "kestrel.rejected_connections",
        "kestrel.upgraded_connections",
        "kestrel.active_tls_handshakes",
        "kestrel.tls_handshake.duration",
        "http.client.open_connections",
        "http.client.connection.duration",
    };

    /// <summary>Applies <see cref="PerRequestMetersKey"/> to prometheus-net's default meter adapter.</summary>
    public static void Configure(IConfiguration configuration)
    {
        var perRequest = configuration.GetValue(PerRequestMetersKey, defaultValue: false);
        Prometheus.Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = instrument => Publishes(instrument, perRequest));

        // The event counter adapter only reads the "EventCounters" payloads, which are written at LogAlways. But an
        // event source that anyone listens to, at any level, keeps its counters up to date per request: hosting counts
        // each request (RequestStart/RequestStop), Kestrel each queued stream, HttpClient and sockets each request and
        // operation (perf, worker at concurrency 64 after a scrape: about 1% of the process's CPU, more on the gateway,
        // whose forwards add HttpClient's). The meters published above already carry what those counters would, so by
        // default the adapter listens to the runtime's source alone, at Critical.
        var level = perRequest ? EventLevel.Informational : EventLevel.Critical;
        Prometheus.Metrics.ConfigureEventCounterAdapter(options =>
        {
            options.EventSourceSettingsProvider = _ => new Prometheus.EventCounterAdapterEventSourceSettings { MinimumLevel = level };
            if (!perRequest)
            {
                options.EventSourceFilterPredicate = ListensTo;
            }
        });
    }

    /// <summary>The event sources the event counter adapter listens to without per-request meters: the runtime's alone.</summary>
    public static bool ListensTo(string eventSource) => eventSource == "System.Runtime";

    /// <summary>True when the adapter publishes <paramref name="instrument"/>.</summary>
    public static bool Publishes(Instrument instrument, bool perRequestMeters) =>
        perRequestMeters
        || instrument.IsObservable
        || instrument.Meter.Name == "System.Runtime"
        || PerConnection.Contains(instrument.Name);
}
