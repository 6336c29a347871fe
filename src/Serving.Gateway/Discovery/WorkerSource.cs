using System.Net;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;

namespace Serving.Gateway.Discovery;

/// <summary>
/// Turns the configured worker addresses into endpoints. Static addresses are used as given; a
/// DNS entry is resolved every round and yields one endpoint per address (a headless Service).
/// The same address keeps the same <see cref="WorkerEndpoint"/>, and with it its health, while it stays in the
/// answers; one missing from <see cref="ForgetAfterRounds"/> rounds in a row (a pod a rolling update replaced) is
/// forgotten, so a long-running gateway holds the workers it has now, not every pod it has ever seen. A lookup that
/// fails without an answer (a timeout, SERVFAIL) keeps the name's last one; one that says the name does not exist
/// (NXDOMAIN) leaves it no workers.
/// </summary>
internal sealed class WorkerSource(IOptions<GatewayOptions> options)
{
    /// <summary>
    /// Rounds in a row an address may be missing before its endpoint is forgotten: a pod that leaves the answer for a
    /// moment (its readiness flapped) comes back to the same endpoint, with its in-flight count and its passive
    /// exclusion; discovery re-probes it either way before it gets requests again.
    /// </summary>
    public const int ForgetAfterRounds = 3;

    private readonly Dictionary<string, Known> _known = new(StringComparer.Ordinal);

    // Each name's last answer, for a lookup that fails without saying the name has no addresses.
    private readonly Dictionary<string, IPAddress[]> _answers = new(StringComparer.OrdinalIgnoreCase);
    private long _round;

    /// <summary>Resolves a host name to its addresses (DNS; tests put a resolver of their own here).</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; set; } = Dns.GetHostAddressesAsync;

    /// <summary>The endpoints held now: those of the last rounds' answers.</summary>
    internal int KnownCount
    {
        get
        {
            lock (_known)
            {
                return _known.Count;
            }
        }
    }

    public async Task<IReadOnlyList<WorkerEndpoint>> ResolveAsync(CancellationToken cancellationToken)
    {
        var round = Interlocked.Increment(ref _round);
        var result = new List<WorkerEndpoint>();
        foreach (var worker in options.Value.Workers)
        {
            var rest = new Uri(worker.Rest!);
            var grpc = new Uri(worker.Grpc!);
            if (!worker.ResolveDns || IPAddress.TryParse(rest.Host, out _))
            {
                result.Add(Endpoint(rest, grpc, round));
                continue;
            }

            IPAddress[] addresses;
            try
            {
                addresses = _answers[rest.Host] = await Resolver(rest.Host, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode is System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData)
            {
                // The name has no addresses (NXDOMAIN: a headless Service with no ready pod).
                addresses = _answers[rest.Host] = [];
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The answer is unknown this round (a resolver timing out, SERVFAIL): the last one stands, so a DNS hiccup
                // does not take every worker of the name out of the routing table until the next round.
                addresses = _answers.GetValueOrDefault(rest.Host, []);
            }

            foreach (var address in addresses.OrderBy(a => a.ToString(), StringComparer.Ordinal))
            {
                result.Add(Endpoint(WithHost(rest, address), WithHost(grpc, address), round));
            }
        }

        Forget(round);
        return result.DistinctBy(w => w.RestPrefix).ToList();
    }

    private WorkerEndpoint Endpoint(Uri rest, Uri grpc, long round)
    {
        var key = rest.GetLeftPart(UriPartial.Authority) + " " + grpc.GetLeftPart(UriPartial.Authority);
        lock (_known)
        {
            if (!_known.TryGetValue(key, out var known))
            {
                known = new Known(new WorkerEndpoint(rest.GetLeftPart(UriPartial.Authority), grpc.GetLeftPart(UriPartial.Authority)));
                _known[key] = known;
            }

            known.LastSeen = round;
            return known.Endpoint;
        }
    }

    // Drops the endpoints no answer has named for ForgetAfterRounds rounds. Their health goes with them; discovery
    // drops their reports and health series the round they leave the list, and the forwarders' connection pools close
    // idle connections (PooledConnectionIdleTimeout) and remove a pool once it is empty.
    private void Forget(long round)
    {
        lock (_known)
        {
            foreach (var (key, known) in _known)
            {
                if (round - known.LastSeen >= ForgetAfterRounds)
                {
                    _known.Remove(key);
                }
            }
        }
    }

    private static Uri WithHost(Uri uri, IPAddress address) =>
        new UriBuilder(uri) { Host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString() }.Uri;

    private sealed class Known(WorkerEndpoint endpoint)
    {
        public WorkerEndpoint Endpoint { get; } = endpoint;

        public long LastSeen { get; set; }
    }
}
