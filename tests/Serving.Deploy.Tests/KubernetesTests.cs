using Microsoft.Extensions.Options;
using Serving.Deploy.Tests.Support;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.Deploy.Tests;

public sealed class KubernetesTests
{
    [Fact]
    public void Manifests_AsCommitted_MatchTheCode()
    {
        var k8s = Manifests.Kubernetes();

        Problems.None(k8s.Problems);
        Assert.Equal(4, k8s.ModelConfigs.Count);
        Assert.Single(k8s.AdminCalls);
        Assert.Contains(k8s.Endpoints, e => e is { Component: "worker", Property: "RestPort", Path: "/v2/health/ready" });
        Assert.Contains(k8s.Endpoints, e => e is { Component: "gateway", Property: "RestPort", Path: "/v2/health/live" });
        Assert.Contains(k8s.Endpoints, e => e is { Component: "drift", Property: "RestPort", Path: "/metrics" });
    }

    [Theory]
    [InlineData("deploy/k8s/workers.yaml", "{ path: /v2/health/ready, port: http }", "{ path: /v2/health/ready, port: https }", "readinessProbe port https")]
    [InlineData("deploy/k8s/workers.yaml", "containerPort: 8082", "containerPort: 9102", "port 9102")]
    [InlineData("deploy/k8s/workers.yaml", "name: serving_batch_queue_depth", "name: serving_batch_queue_length", "serving_batch_queue_length is exported by nothing")]
    [InlineData("deploy/k8s/workers.yaml", "value: http://127.0.0.1:8090", "value: http://127.0.0.1:8091", "expected drift GrpcPort")]
    [InlineData("deploy/k8s/workers.yaml", "subPath: tabular-v1.yaml", "subPath: tabular-v3.yaml", "no key tabular-v3.yaml")]
    [InlineData("deploy/k8s/workers.yaml", "container: worker", "container: wrkr", "no container wrkr")]
    [InlineData("deploy/k8s/workers.yaml", "args: [\"worker\"]", "args: [\"worker\", \"--models\"]", "--models")]
    [InlineData("deploy/k8s/workers.yaml", "name: Serving__Features__Redis", "name: Serving__Feature__Redis", "no options section")]
    [InlineData("deploy/k8s/workers.yaml", "            - name: DOTNET_ThreadPool_UnfairSemaphoreSpinLimit\n              value: \"0\"\n", "", "a drift monitor should set DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0")]
    [InlineData("deploy/k8s/workers.yaml", "name: Serving__Drift__GrpcBindAddress\n              value: 127.0.0.1", "name: Serving__Drift__GrpcBindAddress\n              value: 0.0.0.0", "drift ingest (drift GrpcPort 8090) listens on 0.0.0.0 with no Serving:Drift:IngestToken")]
    [InlineData("deploy/k8s/gpu/workers-gpu.yaml", "            - name: Serving__Drift__GrpcBindAddress\n              value: 127.0.0.1\n", "", "drift ingest (drift GrpcPort 8090) listens on 0.0.0.0 with no Serving:Drift:IngestToken")]
    [InlineData("deploy/k8s/gateway.yaml", "serving-workers:8080:8081", "serving-workers:8080:8082", "expected worker GrpcPort")]
    [InlineData("deploy/k8s/gateway.yaml", "value: serving-redis:6379,abortConnect=false", "value: serving-cache:6379", "no Service serving-cache")]
    [InlineData("deploy/k8s/gateway.yaml", "name: Serving__Gateway__AdminBindAddress", "name: Serving__Gateway__AdminBind", "'AdminBind'")]
    [InlineData("deploy/k8s/gateway.yaml", "value: 0.0.0.0", "value: 127.0.0.1", "binds the admin API to 127.0.0.1")]
    [InlineData("deploy/k8s/gateway.yaml", "      port: 8001\n      targetPort: grpc", "      port: 8001\n      targetPort: grpcs", "targetPort grpcs")]
    [InlineData("deploy/k8s/gateway.yaml", "{ path: /v2/health/live, port: http }", "{ path: /healthz, port: http }", "livenessProbe must GET")]
    [InlineData("deploy/k8s/gateway.yaml", "    name: serving-gateway\n  minReplicas", "    name: serving-gw\n  minReplicas", "scaleTargetRef Deployment/serving-gw")]
    [InlineData("deploy/k8s/gateway.yaml", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: serving\n      app.kubernetes.io/component: gateway", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: serving\n      app.kubernetes.io/component: gateways", "PodDisruptionBudget/serving-gateway: its selector matches no pod")]
    [InlineData("deploy/k8s/monitoring/servicemonitors.yaml", "port: drift-http", "port: drift-metrics", "no port named drift-metrics")]
    [InlineData("deploy/k8s/job-traffic-policy.yaml", "http://serving-gateway-admin:8003/admin", "http://serving-gateway:8003/admin", "no Service serving-gateway with port 8003")]
    [InlineData("deploy/k8s/job-traffic-policy.yaml", "$(SERVING_ADMIN_TOKEN)", "$(ADMIN_TOKEN)", "$(ADMIN_TOKEN)")]
    [InlineData("deploy/k8s/job-traffic-policy.yaml", "@/policy/tabular.json", "@/policy/digits.json", "/policy/digits.json is not a key")]
    [InlineData("deploy/k8s/job-features-load.yaml", "\"--redis\", \"serving-redis:6379\"", "\"--redis\", \"serving-cache:6379\"", "no Service serving-cache")]
    [InlineData("deploy/k8s/job-features-load.yaml", "/models/tabular/features.csv", "/models/tabular/feature.csv", "feature.csv")]
    [InlineData("deploy/k8s/job-features-load.yaml", "\"--model\", \"tabular\"", "\"--modle\", \"tabular\"", "--modle")]
    public void Check_WrongManifest_ReportsIt(string file, string from, string to, string expected)
    {
        var k8s = Manifests.Kubernetes(file, from, to);

        Assert.Contains(k8s.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AdminTokenSecret_Placeholder_IsRefusedByTheGateway()
    {
        var secret = YamlTree.Document(Manifests.Read("deploy/k8s/secret-admin-token.yaml"));
        var placeholder = secret.Map("stringData").Str("token");
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Gateway:AdminToken"] = placeholder,
            ["Serving:Gateway:BindAddress"] = "127.0.0.1",
            ["Serving:Gateway:RestPort"] = "0",
            ["Serving:Gateway:GrpcPort"] = "0",
            ["Serving:Gateway:MetricsPort"] = "0",
            ["Serving:Gateway:AdminPort"] = "0",
            ["Serving:Gateway:DataDirectory"] = data.Path,
            ["Logging:LogLevel:Default"] = "None",
        };

        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = GatewayHost.Build([], settings, [GatewayWorkerAddress.Loopback(1, 2)]);
            await app.StartAsync();
        });

        Assert.Contains("AdminToken", e.Message, StringComparison.Ordinal);
    }
}
