using System.Net;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Discovery;

namespace Serving.Gateway.Tests.Discovery;

public sealed class WorkerSourceTests
{
    private static WorkerSource Source(params WorkerAddressOptions[] workers) =>
        new(Options.Create(new GatewayOptions { Workers = [.. workers] }));

    [Fact]
    public async Task DnsName_OneEndpointPerAddress_WithTheAddressAsHost_PortsKept()
    {
        // localhost comes from /etc/hosts: a name with one or more addresses, as a headless Service has.
        var addresses = (await Dns.GetHostAddressesAsync("localhost")).Select(Host).Distinct().Order(StringComparer.Ordinal).ToArray();
        var source = Source(new WorkerAddressOptions { Rest = "http://localhost:8080", Grpc = "http://localhost:8081", ResolveDns = true });

        var endpoints = await source.ResolveAsync(CancellationToken.None);

        Assert.Equal(addresses.Select(a => $"http://{a}:8080"), endpoints.Select(e => e.RestPrefix).Order(StringComparer.Ordinal));
        Assert.Equal(addresses.Select(a => $"http://{a}:8081"), endpoints.Select(e => e.GrpcPrefix).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WithoutResolveDns_TheNameIsUsedAsGiven()
    {
        var source = Source(new WorkerAddressOptions { Rest = "http://localhost:8080", Grpc = "http://localhost:8081" });

        var endpoint = Assert.Single(await source.ResolveAsync(CancellationToken.None));

        Assert.Equal("http://localhost:8080", endpoint.RestPrefix);
        Assert.Equal("http://localhost:8081", endpoint.GrpcPrefix);
    }

    [Fact]
    public async Task EveryRound_TheSameAddressKeepsTheSameEndpoint_AndItsHealth()
    {
        var source = Source(
            new WorkerAddressOptions { Rest = "http://localhost:8080", Grpc = "http://localhost:8081", ResolveDns = true },
            new WorkerAddressOptions { Rest = "http://127.0.0.1:9080", Grpc = "http://127.0.0.1:9081" });

        var first = await source.ResolveAsync(CancellationToken.None);
        var second = await source.ResolveAsync(CancellationToken.None);

        Assert.Equal(first.Count, second.Count);
        Assert.All(first.Zip(second), pair => Assert.Same(pair.First, pair.Second));
    }

    [Fact]
    public async Task AnAddressGoneFromTheAnswer_KeepsItsEndpointThroughAShortAbsence_AndIsForgottenAfterForgetAfterRounds()
    {
        var source = Source(new WorkerAddressOptions { Rest = "http://pods.test:8080", Grpc = "http://pods.test:8081", ResolveDns = true });
        IPAddress[] answer = [IPAddress.Parse("10.0.0.1")];
        source.Resolver = (_, _) => Task.FromResult(answer);
        var original = Assert.Single(await source.ResolveAsync(CancellationToken.None));

        // Gone for one round less than the limit, then back: the same endpoint (its health and in-flight count kept).
        answer = [IPAddress.Parse("10.0.0.2")];
        for (var i = 0; i < WorkerSource.ForgetAfterRounds - 1; i++)
        {
            await source.ResolveAsync(CancellationToken.None);
        }

        answer = [IPAddress.Parse("10.0.0.1")];
        Assert.Same(original, Assert.Single(await source.ResolveAsync(CancellationToken.None)));

        // Gone for ForgetAfterRounds rounds: forgotten, and so is every address replaced since.
        answer = [IPAddress.Parse("10.0.0.3")];
        for (var i = 0; i < WorkerSource.ForgetAfterRounds; i++)
        {
            await source.ResolveAsync(CancellationToken.None);
        }

        Assert.Equal(1, source.KnownCount);
        answer = [IPAddress.Parse("10.0.0.1")];
        Assert.NotSame(original, Assert.Single(await source.ResolveAsync(CancellationToken.None)));
    }

    private static string Host(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
