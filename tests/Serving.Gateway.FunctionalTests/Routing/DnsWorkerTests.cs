using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
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
}
