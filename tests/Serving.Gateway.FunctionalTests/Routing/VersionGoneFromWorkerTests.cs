using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker that no longer has a version it had at its last probe (the model unloaded there, the worker restarted
/// with another repository) answers "not found" and runs nothing: the gateway sends the call to another worker of the
/// version, so callers don't get 404 / NOT_FOUND until the next probe takes that worker out of the version. (Seen
/// under load: an unload on one of two workers gave about 800 callers a second 404 while the other worker served the
/// version.) Probes are ten minutes apart here, so the routing table still lists both workers for every call.
/// </summary>
public sealed class VersionGoneFromWorkerTests : IAsyncLifetime
{
    private const string WorkerToken = "worker-admin-token-0123456789";

    private TempDirectory _repository = null!;
    private WorkerServer _a = null!;
    private WorkerServer _b = null!;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var settings = new Dictionary<string, string?> { ["Serving:Worker:AdminToken"] = WorkerToken };
        _a = await WorkerServer.StartAsync(_repository.Path, settings);
        _b = await WorkerServer.StartAsync(_repository.Path, settings);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _repository.Dispose();
    }

    [Fact]
    public async Task ModelUnloadedOnOneWorker_EveryCallServedByTheOther_RestAndGrpc()
    {
        await using var gateway = await GatewayServer.StartAsync([_a, _b], new Dictionary<string, string?> { ["Serving:Gateway:DiscoveryInterval"] = "00:10:00" });
        using (var unload = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/unload"))
        {
            unload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WorkerToken);
            using var response = await _b.Http.SendAsync(unload);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var failures = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var (status, version, body) = await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer");
            if (status != HttpStatusCode.OK || version != "1")
            {
                failures.Add($"REST {(int)status}: {body}");
            }

            try
            {
                await Infer.GrpcAsync(gateway.Grpc, Infer.GrpcRequest("tabular", "1"));
            }
            catch (RpcException e)
            {
                failures.Add($"gRPC {e.StatusCode}: {e.Status.Detail}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 40 calls failed, the first: {failures.FirstOrDefault()}");
    }

    [Fact]
    public async Task VersionOnNoOtherWorker_TheWorkersNotFoundReachesTheCaller()
    {
        await using var gateway = await GatewayServer.StartAsync([_b], new Dictionary<string, string?> { ["Serving:Gateway:DiscoveryInterval"] = "00:10:00" });
        using (var unload = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/unload"))
        {
            unload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WorkerToken);
            using var response = await _b.Http.SendAsync(unload);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var (status, _, body) = await Infer.RestAsync(gateway.Http, "/v2/models/tabular/versions/1/infer");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("unloaded", body, StringComparison.Ordinal);
    }
}
