using System.Net;
using System.Net.Sockets;
using Serving.Deploy.Tests.Checks;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests;

/// <summary>The manifests' probes, scrapes, health check, model configs and admin calls, replayed against real hosts.</summary>
public sealed class LiveTests(LiveSystem system) : IClassFixture<LiveSystem>
{
    [Fact]
    public async Task ProbesAndScrapes_InManifests_Answer200()
    {
        var uses = Manifests.Kubernetes().Endpoints;
        Assert.NotEmpty(uses);

        Problems.None(await system.CheckAsync(uses));
    }

    [Theory]
    [InlineData("worker", "RestPort", "/v2/health/readyz")]
    [InlineData("worker", "MetricsPort", "/v2/health/ready")]
    [InlineData("gateway", "MetricsPort", "/v2/health/live")]
    [InlineData("gateway", "GrpcPort", "/metrics")]
    [InlineData("drift", "GrpcPort", "/v2/health/ready")]
    public async Task Check_ProbeThatWouldFail_IsReported(string component, string property, string path)
    {
        var problems = await system.CheckAsync([new EndpointUse("test", component, property, path)]);

        Assert.Single(problems);
    }

    [Fact]
    public async Task HealthCheckScript_OnEachRolesPort_Succeeds()
    {
        var check = DockerfileChecker.HealthCheck(Manifests.Dockerfile());
        Assert.NotNull(check);
        Assert.Equal(["drift", "gateway", "worker"], check.Value.Ports.Select(p => p.Component).Order());
        foreach (var (component, property, _) in check.Value.Ports)
        {
            Assert.Equal(0, await LiveSystem.RunHealthCheckAsync(check.Value.Script, system.Port(component, property)));
        }

        // It also probes what the manifests' probes name.
        Problems.None(await system.CheckAsync(check.Value.Ports.Select(p => new EndpointUse("HEALTHCHECK", p.Component, p.Property, check.Value.Path))));
    }

    [Fact]
    public async Task HealthCheckScript_OnAPortThatIsNotReady_Fails()
    {
        var script = DockerfileChecker.HealthCheck(Manifests.Dockerfile())!.Value.Script;
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        Assert.NotEqual(0, await LiveSystem.RunHealthCheckAsync(script, closedPort));
        Assert.NotEqual(0, await LiveSystem.RunHealthCheckAsync(script, system.Port("worker", "MetricsPort")));
    }

    [Fact]
    public async Task ModelConfigs_InManifests_ServeExactlyTheirVersion()
    {
        // The GPU configs ask for CUDA, which this CPU build lacks: the loader checks them (ModelConfigTests), not a live worker.
        var uses = ModelConfigTests.AllUses().Where(u => !u.Yaml.Contains("execution_provider: cuda", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, uses.Count);
        var problems = new List<string>();
        foreach (var use in uses)
        {
            problems.AddRange(await LiveSystem.CheckServedVersionsAsync(use));
        }

        Problems.None(problems);
    }

    [Fact]
    public async Task Check_ModelConfigServingAnotherVersion_IsReported()
    {
        var use = Manifests.Compose().ModelConfigs.First(u => u.ExpectedVersion == "1") with { ExpectedVersion = "2" };

        Assert.Single(await LiveSystem.CheckServedVersionsAsync(use));
    }

    [Fact]
    public async Task TrafficPolicies_InManifests_AreAcceptedByTheGateway()
    {
        var calls = Manifests.Kubernetes().AdminCalls.Concat(Manifests.Compose().AdminCalls).ToList();
        Assert.Equal(2, calls.Count);

        Problems.None(await system.CheckAsync(calls));
    }

    [Fact]
    public async Task Check_PolicyNamingAVersionNobodyServes_IsReported()
    {
        var call = Manifests.Kubernetes().AdminCalls[0];
        var wrong = call with { Body = Manifests.Edit(call.Body, "\"2\": 10", "\"3\": 10") };

        Assert.Single(await system.CheckAsync([wrong]));
    }
}
