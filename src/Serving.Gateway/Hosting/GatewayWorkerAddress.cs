using System.Globalization;
using Serving.Gateway.Configuration;

namespace Serving.Gateway.Hosting;

/// <summary>A worker the gateway forwards to: its REST (HTTP/1.1) and gRPC (h2c) base addresses.</summary>
/// <param name="Rest">e.g. <c>http://127.0.0.1:8080</c>.</param>
/// <param name="Grpc">e.g. <c>http://127.0.0.1:8081</c>.</param>
public sealed record GatewayWorkerAddress(Uri Rest, Uri Grpc)
{
    /// <summary>A worker on loopback (what <c>serving up</c> embeds).</summary>
    public static GatewayWorkerAddress Loopback(int restPort, int grpcPort) =>
        new(new Uri($"http://127.0.0.1:{restPort}"), new Uri($"http://127.0.0.1:{grpcPort}"));

    /// <summary>The configuration keys that name <paramref name="workers"/> as the gateway's destinations.</summary>
    public static Dictionary<string, string?> ToConfiguration(IEnumerable<GatewayWorkerAddress> workers)
    {
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        foreach (var w in workers)
        {
            var prefix = $"{GatewayOptions.Section}:Workers:{i.ToString(CultureInfo.InvariantCulture)}:";
            config[prefix + nameof(WorkerAddressOptions.Rest)] = w.Rest.GetLeftPart(UriPartial.Authority);
            config[prefix + nameof(WorkerAddressOptions.Grpc)] = w.Grpc.GetLeftPart(UriPartial.Authority);
            i++;
        }

        return config;
    }
}
