using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.Drift.Hosting;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>
/// The three roles as deployed: a drift monitor, a worker (tabular v1 and v2) shipping its prediction
/// logs to it, and a gateway in front of the worker. All on 127.0.0.1 port 0.
/// </summary>
internal sealed class ObservedSystem : IAsyncDisposable
{
    private readonly TempDirectory _repository;
    private readonly TempDirectory _archive;

    private ObservedSystem(TempDirectory repository, TempDirectory archive, WebApplication drift, WorkerServer worker, GatewayServer gateway)
    {
        _repository = repository;
        _archive = archive;
        Drift = drift;
        Worker = worker;
        Gateway = gateway;
        var listeners = drift.Services.GetRequiredService<DriftListeners>();
        DriftRest = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{listeners.RestPort}"), Timeout = TimeSpan.FromSeconds(30) };
        WorkerMetrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.Listeners.MetricsPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication Drift { get; }

    public WorkerServer Worker { get; }

    public GatewayServer Gateway { get; }

    /// <summary>The drift monitor's REST port (report, health, /metrics).</summary>
    public HttpClient DriftRest { get; }

    /// <summary>The worker's metrics port.</summary>
    public HttpClient WorkerMetrics { get; }

    /// <summary>Starts the three roles; <paramref name="tracing"/> adds an exporter to the gateway's tracer (it sees every role's spans in this process).</summary>
    public static async Task<ObservedSystem> StartAsync(Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null)
    {
        var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var archive = new TempDirectory();
        var drift = DriftHost.Build([], new Dictionary<string, string?>
        {
            ["Serving:Drift:ModelRepository"] = repository.Path,
            ["Serving:Drift:BindAddress"] = "127.0.0.1",
            ["Serving:Drift:GrpcPort"] = "0",
            ["Serving:Drift:RestPort"] = "0",
            ["Serving:Drift:Archive:Directory"] = archive.Path,
            ["Serving:Drift:Evaluation:EveryRecords"] = "10",
            ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await drift.StartAsync();
        var driftGrpc = drift.Services.GetRequiredService<DriftListeners>().GrpcPort;
        var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = $"http://127.0.0.1:{driftGrpc}",
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
        });
        var gateway = await GatewayServer.StartAsync([worker], tracing: tracing);
        return new ObservedSystem(repository, archive, drift, worker, gateway);
    }

    /// <summary>Sets a traffic policy, retrying while the gateway has not yet discovered the worker's versions.</summary>
    public async Task SetPolicyAsync(string json, string model = "tabular")
    {
        var last = "";
        for (var i = 0; i < 100; i++)
        {
            using var response = await Gateway.Admin!.PutAsync($"/admin/models/{model}/policy", new StringContent(json, Encoding.UTF8, "application/json"));
            last = $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException("the gateway refused the policy: " + last);
    }

    /// <summary>POSTs a REST infer body through the gateway, retrying 503s until the gateway has discovered the worker.</summary>
    public async Task<(HttpStatusCode Status, string Body)> InferAsync(string path, string body, params (string Name, string Value)[] headers)
    {
        for (var i = 0; ; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await Gateway.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || i >= 100)
            {
                return (response.StatusCode, text);
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        DriftRest.Dispose();
        WorkerMetrics.Dispose();
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        await Drift.StopAsync();
        await Drift.DisposeAsync();
        _repository.Dispose();
        _archive.Dispose();
    }
}
