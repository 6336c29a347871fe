using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Hosting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.GatewayBench;

/// <summary>The real Serving gateway (<see cref="GatewayHost"/>) started in this process on 127.0.0.1 with free ports, in front of one worker.</summary>
internal sealed class InProcessGateway : IAsyncDisposable
{
    private static readonly TimeSpan DiscoveryTimeout = TimeSpan.FromSeconds(20);

    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private InProcessGateway(WebApplication app, string dataDirectory)
    {
        _app = app;
        _dataDirectory = dataDirectory;
    }

    /// <summary>The gateway's gRPC and REST roots (known once it has started: port 0 resolves at bind).</summary>
    public TargetAddresses Addresses
    {
        get
        {
            var listeners = _app.Services.GetRequiredService<GatewayListeners>();
            return TargetAddresses.Loopback(listeners.GrpcPort, listeners.RestPort);
        }
    }

    /// <summary>The REST hop to the worker the gateway runs with, as configured (this bench's option, else the environment or the default).</summary>
    public WorkerRestProtocol RestToWorkers => _app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.RestToWorkers;

    /// <summary>
    /// The configuration keys: every port free, policies in a temp folder (no Redis), the admin API on as
    /// <c>serving up</c> runs it (a random token; nothing calls it), logs on stderr at Warning.
    /// </summary>
    public static Dictionary<string, string?> Settings(string dataDirectory, WorkerRestProtocol? restToWorkers = null) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Serving:Gateway:RestToWorkers"] = restToWorkers?.ToString(),
        ["Serving:Gateway:BindAddress"] = "127.0.0.1",
        ["Serving:Gateway:RestPort"] = "0",
        ["Serving:Gateway:GrpcPort"] = "0",
        ["Serving:Gateway:MetricsPort"] = "0",
        ["Serving:Gateway:AdminPort"] = "0",
        ["Serving:Gateway:AdminToken"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
        ["Serving:Gateway:DataDirectory"] = dataDirectory,
        ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
        ["Serving:Shutdown:DrainTimeout"] = "00:00:05",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
    };

    /// <summary>Starts the gateway in front of <paramref name="worker"/> and returns once it routes <paramref name="model"/> (its discovery found the worker ready).</summary>
    public static async Task<InProcessGateway> StartAsync(TargetAddresses worker, string model, WorkerRestProtocol? restToWorkers, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), $"serving-gateway-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var app = GatewayHost.Build([], Settings(data, restToWorkers), [new GatewayWorkerAddress(worker.Rest, worker.Grpc)]);
        var gateway = new InProcessGateway(app, data);
        try
        {
            await app.StartAsync(cancellationToken);
            await WaitUntilRoutableAsync(gateway.Addresses.Rest, model, cancellationToken);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(stop.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static async Task WaitUntilRoutableAsync(Uri rest, string model, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(HttpHandlers.ForMetadata()) { BaseAddress = rest, Timeout = TimeSpan.FromSeconds(5) };
        var ready = RestPaths.Model(model, string.Empty) + "/ready";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DiscoveryTimeout);
        var last = "no answer";
        try
        {
            while (true)
            {
                try
                {
                    using var response = await client.GetAsync(ready, timeout.Token);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }

                    last = $"HTTP {(int)response.StatusCode}";
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                }

                await Task.Delay(100, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LoadTestException($"the gateway did not find model '{model}' ready on the worker within {DiscoveryTimeout.TotalSeconds:F0} s (last answer to GET /{ready}: {last})");
        }
    }
}
