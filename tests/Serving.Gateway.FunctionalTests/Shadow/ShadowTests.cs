using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Gateway.Shadow;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Shadow;

/// <summary>
/// Shadow traffic: copies go to the shadow version, answers are compared and counted, and a slow
/// or dead shadow never changes the primary answer or its latency class. No timing is asserted
/// beyond a generous bound that a gateway waiting for the shadow could not meet: the stalled
/// shadow holds each copy for 30 s (and the gateway's shadow timeout is set above that), while
/// each primary call must finish within 5 s.
/// </summary>
public sealed class ShadowTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(5);
    private TempDirectory _repository = null!;
    private WorkerServer _worker = null!;

    public async Task InitializeAsync()
    {
        // Version 3 is a copy of version 1 (same answers); version 2 is another model (different answers).
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        RepoPaths.CopyDirectory(Path.Combine(_repository.Path, "tabular", "1"), Path.Combine(_repository.Path, "tabular", "3"));
        _worker = await WorkerServer.StartAsync(_repository.Path);
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        _repository.Dispose();
    }

    [Fact]
    public async Task StalledShadow_PrimaryAnswersUnchanged_WithinTheGenerousBound()
    {
        await using var stalling = await StubWorker.StallingAsync("tabular", "9");
        await using var gateway = await GatewayServer.StartAsync(
            [GatewayWorkerAddress.Loopback(_worker.Listeners.RestPort, _worker.Listeners.GrpcPort), stalling.Address],
            new Dictionary<string, string?> { ["Serving:Gateway:ShadowTimeout"] = "00:01:00" });
        var withoutShadow = await AnswersWithoutShadowAsync(gateway);

        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""");
        for (var i = 0; i < 10; i++)
        {
            await AssertPrimaryUnchangedAsync(gateway, withoutShadow, "stalled");
        }

        // The copies really went out and are still held by the stalled shadow.
        await Poll.UntilAsync(() => stalling.Calls >= 20);
        Assert.True(gateway.Service<ShadowMirror>().InFlight > 0);
    }

    [Fact]
    public async Task DeadShadow_PrimaryAnswersUnchanged()
    {
        var stalling = await StubWorker.StallingAsync("tabular", "9");
        await using var gateway = await GatewayServer.StartAsync(
            [GatewayWorkerAddress.Loopback(_worker.Listeners.RestPort, _worker.Listeners.GrpcPort), stalling.Address],
            new Dictionary<string, string?> { ["Serving:Gateway:DiscoveryInterval"] = "00:10:00" });
        var withoutShadow = await AnswersWithoutShadowAsync(gateway);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""");
        await stalling.DisposeAsync();

        for (var i = 0; i < 20; i++)
        {
            await AssertPrimaryUnchangedAsync(gateway, withoutShadow, "dead");
        }

        await Poll.UntilAsync(async () => (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("shadow_error") > 0);
    }

    [Fact]
    public async Task ShadowAnswers_ComparedAndCounted_AgreeAndDisagree()
    {
        await using var gateway = await GatewayServer.StartAsync([_worker]);
        var disagreementsBefore = await MetricsText.SumAsync(gateway, "serving_gateway_shadow_disagreements_total", "shadow_version=\"2\"");

        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "3", "percent": 100}}""");
        for (var i = 0; i < 10; i++)
        {
            await Infer.RestAsync(gateway.Http);
            await Infer.GrpcAsync(gateway.Grpc);
        }

        await Poll.UntilAsync(async () => (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("agree") == 20);

        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "2", "percent": 100}}""");
        for (var i = 0; i < 10; i++)
        {
            await Infer.RestAsync(gateway.Http);
            await Infer.GrpcAsync(gateway.Grpc);
        }

        await Poll.UntilAsync(async () => (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("disagree") == 20);
        Assert.Equal(20, (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("agree"));
        Assert.Equal(disagreementsBefore + 20, await MetricsText.SumAsync(gateway, "serving_gateway_shadow_disagreements_total", "shadow_version=\"2\""));
        Assert.True(await MetricsText.SumAsync(gateway, "serving_gateway_shadow_duration_seconds_count", "role=\"shadow\"") >= 40);
    }

    [Fact]
    public async Task CompressedRequests_GrpcAndRest_ShadowCopiesKeepTheirEncoding_AndAgree()
    {
        await using var gateway = await GatewayServer.StartAsync([_worker]);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "3", "percent": 100}}""");

        for (var i = 0; i < 10; i++)
        {
            var (response, version) = await Infer.GrpcAsync(gateway.Grpc, headers: Infer.Gzip);
            Assert.Equal("1", version);
            Assert.NotEmpty(response.Outputs);
            var (status, restVersion, _) = await Infer.RestGzipAsync(gateway.Http);
            Assert.Equal((HttpStatusCode.OK, "1"), (status, restVersion));
        }

        // Without the caller's grpc-encoding / Content-Encoding on the copy, the worker can't read a compressed body: every copy would be a shadow_error.
        await Poll.UntilAsync(async () => (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("agree") == 20);
        Assert.Equal(0, (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("shadow_error"));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task CallerAsksForACompressedAnswer_ShadowStillComparedAndAgrees(string encoding)
    {
        // Version 3 is a copy of version 1: the same outputs, so every comparison agrees once the primary's answer is inflated.
        await using var gateway = await GatewayServer.StartAsync([_worker]);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "3", "percent": 100}}""");

        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(Infer.RestBody) };
            request.Headers.AcceptEncoding.Add(new System.Net.Http.Headers.StringWithQualityHeaderValue(encoding));
            using var response = await gateway.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        }

        await Poll.UntilAsync(async () => (await ShadowCounts.OfAsync(gateway)).Values.Sum() == 5);
        Assert.Equal(5, (await ShadowCounts.OfAsync(gateway)).GetValueOrDefault("agree"));
    }

    [Fact]
    public async Task BodiesOverShadowMaxRequestBytes_NotCopied_CountedTooLarge_PrimaryUnchanged()
    {
        // A tabular request is a few hundred bytes: over a 64-byte cap, over REST and gRPC alike.
        await using var gateway = await GatewayServer.StartAsync([_worker], new Dictionary<string, string?> { ["Serving:Gateway:ShadowMaxRequestBytes"] = "64" });
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}}""");
        var (_, _, expectedBody) = await Infer.RestAsync(gateway.Http);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "3", "percent": 100}}""");

        for (var i = 0; i < 5; i++)
        {
            var (status, version, body) = await Infer.RestAsync(gateway.Http);
            Assert.Equal((HttpStatusCode.OK, "1"), (status, version));
            Assert.Equal(Outputs(expectedBody), Outputs(body));
            Assert.Equal("1", (await Infer.GrpcAsync(gateway.Grpc)).Version);
        }

        var counts = await ShadowCounts.OfAsync(gateway);
        Assert.Equal(10, counts.GetValueOrDefault("too_large"));
        Assert.Equal(0, counts.GetValueOrDefault("agree") + counts.GetValueOrDefault("disagree"));
        Assert.Equal(0, gateway.Service<ShadowMirror>().InFlight);
    }

    [Fact]
    public async Task ShadowPercent_CopiesAboutThatShare()
    {
        await using var gateway = await GatewayServer.StartAsync([_worker]);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "3", "percent": 20}}""");

        for (var i = 0; i < 500; i++)
        {
            await Infer.RestAsync(gateway.Http);
        }

        await Poll.UntilAsync(() => gateway.Service<ShadowMirror>().InFlight == 0);
        await Task.Delay(200);
        var copies = (await ShadowCounts.OfAsync(gateway)).Values.Sum();
        Assert.InRange(copies, 60, 140);
    }

    /// <summary>The primary's answers, REST and gRPC, under a policy without shadow: what every answer with a shadow must equal.</summary>
    private static async Task<(string Json, ModelInferResponse Grpc)> AnswersWithoutShadowAsync(GatewayServer gateway)
    {
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}}""");
        var (_, _, rest) = await Infer.RestAsync(gateway.Http);
        return (rest, (await Infer.GrpcAsync(gateway.Grpc)).Response);
    }

    /// <summary>One REST and one gRPC call: served by version 1, with the answers given without shadow, within the generous bound.</summary>
    private static async Task AssertPrimaryUnchangedAsync(GatewayServer gateway, (string Json, ModelInferResponse Grpc) withoutShadow, string shadow)
    {
        var watch = Stopwatch.StartNew();
        var (status, version, body) = await Infer.RestAsync(gateway.Http);
        var (grpc, grpcVersion) = await Infer.GrpcAsync(gateway.Grpc);
        watch.Stop();

        Assert.Equal((HttpStatusCode.OK, "1", "1"), (status, version, grpcVersion));
        Assert.Equal(Outputs(withoutShadow.Json), Outputs(body));
        Assert.Equal(withoutShadow.Grpc.Outputs, grpc.Outputs);
        Assert.Equal(withoutShadow.Grpc.RawOutputContents, grpc.RawOutputContents);
        Assert.True(watch.Elapsed < Generous, $"primary calls took {watch.Elapsed} with the shadow {shadow}");
    }

    private static string Outputs(string body) => JsonDocument.Parse(body).RootElement.GetProperty("outputs").GetRawText();
}
