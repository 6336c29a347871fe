using System.Net;
using Serving.Gateway.Discovery;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Gateway.Routing;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>A worker named by a DNS name (as a Kubernetes headless Service is) is resolved and served through.</summary>
public sealed class DnsWorkerTests
{
    [Fact]
    public async Task WorkerByDnsName_ResolvedToItsAddress_AnswersOverRestAndGrpc()
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path);
        await using var gateway = await GatewayServer.StartAsync(Array.Empty<GatewayWorkerAddress>(), new Dictionary<string, string?>
        {
            ["Serving:Gateway:Workers:0:Rest"] = $"http://localhost:{worker.Listeners.RestPort}",
            ["Serving:Gateway:Workers:0:Grpc"] = $"http://localhost:{worker.Listeners.GrpcPort}",
            ["Serving:Gateway:Workers:0:ResolveDns"] = "true",
        });

        // The name is resolved on a discovery round; until then the gateway knows no worker of the model.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var (status, served, body) = await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer");
        while (status != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the gateway never routed to the worker named by DNS: {status} {body}");
            await Task.Delay(100);
            (status, served, body) = await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer");
        }

        Assert.Equal("1", served);
        var (response, grpcServed) = await Infer.GrpcAsync(gateway.Grpc, Infer.GrpcRequest(version: "1"));
        Assert.Equal("1", response.ModelVersion);
        Assert.Equal("1", grpcServed);
    }

    /// <summary>
    /// A headless Service whose pods are replaced: the name resolves to one pod's address, then to its replacement's.
    /// The gateway forgets the replaced pod (its endpoint, health and health series) instead of keeping one endpoint per
    /// address it has ever seen (before, WorkerSource held them all for good: one more per replaced pod), and a pod that
    /// comes back to the answer is probed and served again. Both pods are real workers, on 127.0.0.2 and 127.0.0.3 with
    /// the same ports (as pods behind one Service); only the name's answer is the test's.
    /// </summary>
    [Fact]
    public async Task PodReplaced_ItsAddressGoneFromTheAnswer_IsForgotten_AndServedAgainWhenItReturns()
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var first = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?> { ["Serving:Worker:BindAddress"] = "127.0.0.2" });
        await using var second = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:BindAddress"] = "127.0.0.3",
            ["Serving:Worker:RestPort"] = first.Listeners.RestPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Serving:Worker:GrpcPort"] = first.Listeners.GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await using var gateway = await GatewayServer.StartAsync(Array.Empty<GatewayWorkerAddress>(), new Dictionary<string, string?>
        {
            ["Serving:Gateway:Workers:0:Rest"] = $"http://serving-workers.test:{first.Listeners.RestPort}",
            ["Serving:Gateway:Workers:0:Grpc"] = $"http://serving-workers.test:{first.Listeners.GrpcPort}",
            ["Serving:Gateway:Workers:0:ResolveDns"] = "true",
        });
        var answer = new[] { IPAddress.Parse("127.0.0.2") };
        var source = gateway.Service<WorkerSource>();
        source.Resolver = (name, _) => Task.FromResult(name == "serving-workers.test" ? Volatile.Read(ref answer) : throw new System.Net.Sockets.SocketException());
        var firstName = $"http://127.0.0.2:{first.Listeners.RestPort}";
        var secondName = $"http://127.0.0.3:{first.Listeners.RestPort}";

        await Poll.UntilAsync(() => RoutedTo(gateway) == firstName);
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer")).Status);

        // The pod is replaced: the name now answers with the new pod's address only.
        Volatile.Write(ref answer, [IPAddress.Parse("127.0.0.3")]);
        await Poll.UntilAsync(() => RoutedTo(gateway) == secondName);
        await Poll.UntilAsync(() => source.KnownCount == 1);
        Assert.DoesNotContain(firstName, await gateway.Metrics.GetStringAsync("/metrics"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer")).Status);

        // The first address comes back (a pod flapped, or a new pod got it): probed afresh, healthy, routed.
        Volatile.Write(ref answer, [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")]);
        await Poll.UntilAsync(() => RoutedTo(gateway) == $"{firstName} {secondName}"
            && gateway.Service<RoutingState>().Table.Workers.All(w => w.IsHealthy));
        Assert.Equal(2, source.KnownCount);
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", $"worker=\"{firstName}\""));
    }

    /// <summary>
    /// A DNS lookup that fails for a moment (a resolver timing out, SERVFAIL: the name's answer is unknown, not empty)
    /// leaves the name's workers routed: before, the round that failed published a table without them, and every call
    /// until the next round was 503 "no ready worker". A name that does not exist (NXDOMAIN: a headless Service with no
    /// ready pod) has no workers.
    /// </summary>
    [Fact]
    public async Task DnsLookupFailsForAMoment_TheNamesWorkersStayRouted_ANameThatDoesNotExistHasNone()
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?> { ["Serving:Worker:BindAddress"] = "127.0.0.2" });
        await using var gateway = await GatewayServer.StartAsync(Array.Empty<GatewayWorkerAddress>(), new Dictionary<string, string?>
        {
            ["Serving:Gateway:Workers:0:Rest"] = $"http://serving-workers.test:{worker.Listeners.RestPort}",
            ["Serving:Gateway:Workers:0:Grpc"] = $"http://serving-workers.test:{worker.Listeners.GrpcPort}",
            ["Serving:Gateway:Workers:0:ResolveDns"] = "true",
        });
        var failure = 0; // a SocketError, 0 for none
        var lookups = 0;
        gateway.Service<WorkerSource>().Resolver = (_, _) =>
        {
            Interlocked.Increment(ref lookups);
            return Volatile.Read(ref failure) is not 0 and var error ? throw new System.Net.Sockets.SocketException(error) : Task.FromResult(new[] { IPAddress.Parse("127.0.0.2") });
        };
        var name = $"http://127.0.0.2:{worker.Listeners.RestPort}";
        await Poll.UntilAsync(() => RoutedTo(gateway) == name);

        Volatile.Write(ref failure, (int)System.Net.Sockets.SocketError.TryAgain);
        var before = Volatile.Read(ref lookups);
        await Poll.UntilAsync(() => Volatile.Read(ref lookups) >= before + 2); // a whole round ran on a failed lookup
        Assert.Equal(name, RoutedTo(gateway));
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer")).Status);

        Volatile.Write(ref failure, (int)System.Net.Sockets.SocketError.HostNotFound);
        await Poll.UntilAsync(() => RoutedTo(gateway) == "");
    }

    /// <summary>
    /// A DNS name whose every round's answer is a new address that never answers (the pods of a crash-looping Deployment,
    /// each with a new IP): discovery forgets each address's failed-probe count once the address leaves the answer. It
    /// kept the count of every address that never answered a probe for good (only those with a report were dropped).
    /// </summary>
    [Fact]
    public async Task EveryRoundANewAddressThatNeverAnswers_DiscoveryKeepsNoneThatLeft()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var gateway = await GatewayServer.StartAsync(Array.Empty<GatewayWorkerAddress>(), new Dictionary<string, string?>
        {
            ["Serving:Gateway:Workers:0:Rest"] = $"http://crash-looping.test:{port}",
            ["Serving:Gateway:Workers:0:Grpc"] = $"http://crash-looping.test:{port}",
            ["Serving:Gateway:Workers:0:ResolveDns"] = "true",
            ["Serving:Gateway:DiscoveryInterval"] = "00:00:00.050",
        });
        var lookups = 0;
        gateway.Service<WorkerSource>().Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Parse($"127.0.1.{10 + (Interlocked.Increment(ref lookups) % 200)}") });

        // Read while the rounds run (a count, not the dictionary): it held one more address each round, 20 by then.
        var discovery = gateway.Service<WorkerDiscoveryService>();
        await Poll.UntilAsync(() => Volatile.Read(ref lookups) >= 20 && discovery.FailureCounts <= 2);
    }

    private static string RoutedTo(GatewayServer gateway) =>
        string.Join(' ', gateway.Service<RoutingState>().Table.Workers.Where(w => w.IsHealthy).Select(w => w.Name).Order(StringComparer.Ordinal));
}
