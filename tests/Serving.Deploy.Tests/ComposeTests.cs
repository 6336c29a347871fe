using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests;

public sealed class ComposeTests
{
    [Fact]
    public void Compose_AsCommitted_MatchesTheCode()
    {
        var compose = Manifests.Compose();

        Problems.None(compose.Problems);
        Assert.Equal(["1", "2"], compose.ModelConfigs.Select(m => m.ExpectedVersion).Order());
        Assert.Single(compose.AdminCalls);
    }

    [Theory]
    [InlineData("Serving__Gateway__RedisConnectionString:", "Serving__Gateway__RedisConnection:", "'RedisConnection'")]
    [InlineData("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit: \"0\"", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit: \"50\"", "a drift monitor should set DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0")]
    [InlineData("Serving__Gateway__Workers__1__Grpc: http://worker-v2:8081", "Serving__Gateway__Workers__1__Grpc: http://worker-v2:8082", "expected worker GrpcPort")]
    [InlineData("Serving__Gateway__Workers__0__Rest: http://worker-v1:8080", "Serving__Gateway__Workers__0__Rest: http://worker-1:8080", "no compose service worker-1")]
    [InlineData("Endpoint: http://drift-v1:8090", "Endpoint: http://drift-v1:8091", "expected drift GrpcPort")]
    [InlineData("\"127.0.0.1:8003:8003\"", "\"127.0.0.1:8003:8004\"", "port 8004")]
    [InlineData("Serving__Gateway__AdminBindAddress: 0.0.0.0", "Serving__Gateway__AdminBindAddress: 127.0.0.1", "binds AdminPort to 127.0.0.1")]
    [InlineData("Serving__Gateway__AdminToken:", "Serving__Gateway__AdminKey:", "'AdminKey'")]
    [InlineData("Serving__Runtime__ExecutionProvider: cpu\n      Serving__Shutdown__ReadinessGracePeriod: \"00:00:02\"\n    configs:\n      - source: tabular-v1-model", "Serving__Runtime__ExecutionProvider: cpu\n      Serving__Shutdown__ReadinessGracePeriod: \"2 seconds\"\n    configs:\n      - source: tabular-v1-model", "is not a TimeSpan")]
    [InlineData("Serving__Worker__PredictionLogs__Endpoint: http://drift-v2:8090", "Serving__Drift__GrpcPort: \"8090\"", "does not read")]
    [InlineData("  drift-v1:\n    <<: *serving\n    command: [\"drift\"]", "  drift-v1:\n    <<: *serving\n    command: [\"drift\", \"--rest-prot\", \"9000\"]", "--rest-prot")]
    [InlineData("/models/tabular/features.csv", "/models/tabular/feature.csv", "feature.csv")]
    [InlineData("\"--sticky-header\", \"x-user-id\"", "\"--sticky\", \"x-user-id\"", "--sticky")]
    [InlineData("\"--admin\", \"http://gateway:8003\"", "\"--admin\", \"http://gateway:8002\"", "expected gateway AdminPort")]
    [InlineData("      worker-v2:\n        condition: service_healthy", "      traffic-init:\n        condition: service_healthy", "health check is disabled")]
    [InlineData("source: tabular-v2-model", "source: tabular-v3-model", "tabular-v3-model")]
    public void Check_WrongCompose_ReportsIt(string from, string to, string expected)
    {
        var compose = Manifests.Compose(Manifests.Edit(Manifests.Read(Manifests.ComposePath), from, to));

        Assert.Contains(compose.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }
}
