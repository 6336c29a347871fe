using System.Net;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;

namespace Serving.Gateway.Discovery;

/// <summary>
/// Turns the configured worker addresses into endpoints. Static addresses are used as given; a
/// DNS entry is resolved every round and yields one endpoint per address (a headless Service).
/// The same address keeps the same <see cref="WorkerEndpoint"/>, and with it its health.
/// </summary>
internal sealed class WorkerSource(IOptions<GatewayOptions> options)
{
    private readonly Dictionary<string, WorkerEndpoint> _known = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<WorkerEndpoint>> ResolveAsync(CancellationToken cancellationToken)
    {
        var result = new List<WorkerEndpoint>();
        foreach (var worker in options.Value.Workers)
        {
            var rest = new Uri(worker.Rest!);
            var grpc = new Uri(worker.Grpc!);
            if (!worker.ResolveDns || IPAddress.TryParse(rest.Host, out _))
            {
                result.Add(Endpoint(rest, grpc));
                continue;
            }

            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(rest.Host, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Net.Sockets.SocketException)
            {
                continue;
            }

            foreach (var address in addresses.OrderBy(a => a.ToString(), StringComparer.Ordinal))
            {
                result.Add(Endpoint(WithHost(rest, address), WithHost(grpc, address)));
            }
        }

        return result.DistinctBy(w => w.RestPrefix).ToList();
    }

    private WorkerEndpoint Endpoint(Uri rest, Uri grpc)
    {
        var key = rest.GetLeftPart(UriPartial.Authority) + " " + grpc.GetLeftPart(UriPartial.Authority);
        lock (_known)
        {
            if (!_known.TryGetValue(key, out var endpoint))
            {
                endpoint = new WorkerEndpoint(rest.GetLeftPart(UriPartial.Authority), grpc.GetLeftPart(UriPartial.Authority));
                _known[key] = endpoint;
            }

            return endpoint;
        }
    }

    private static Uri WithHost(Uri uri, IPAddress address) =>
        new UriBuilder(uri) { Host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString() }.Uri;
}
