using System.Net.Http.Headers;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.Gateway.Hosting;
using Serving.Protocol.Inference;

namespace Serving.Testing;

/// <summary>A real gateway host on Kestrel, 127.0.0.1 port 0 for every listener, with real HTTP, gRPC and admin clients.</summary>
public sealed class GatewayServer : IAsyncDisposable
{
    /// <summary>The admin token test gateways use.</summary>
    public const string AdminToken = "test-admin-token-0123456789";

    private readonly TempDirectory? _ownedData;

    private GatewayServer(WebApplication app, GatewayListeners listeners, TempDirectory? ownedData)
    {
        App = app;
        Listeners = listeners;
        _ownedData = ownedData;
        Http = TestHttp.Client(new Uri($"http://127.0.0.1:{listeners.RestPort}"));
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{listeners.GrpcPort}", new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        Grpc = new GRPCInferenceService.GRPCInferenceServiceClient(Channel);
        Metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{listeners.MetricsPort}"), Timeout = TimeSpan.FromSeconds(30) };
        if (listeners.AdminEnabled)
        {
            Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{listeners.AdminPort}"), Timeout = TimeSpan.FromSeconds(30) };
            Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        }
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    /// <summary>The bound ports.</summary>
    public GatewayListeners Listeners { get; }

    /// <summary>A client on the REST port.</summary>
    public HttpClient Http { get; }

    /// <summary>A channel on the gRPC port.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The Open Inference Protocol gRPC client.</summary>
    public GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    /// <summary>A client on the metrics port.</summary>
    public HttpClient Metrics { get; }

    /// <summary>A client on the admin port that sends the admin token (null when the admin API is off).</summary>
    public HttpClient? Admin { get; }

    /// <summary>
    /// Starts a gateway in front of <paramref name="workers"/>; <paramref name="settings"/> override
    /// configuration keys. Without a <c>Serving:Gateway:DataDirectory</c> setting a temporary one is used.
    /// </summary>
    public static Task<GatewayServer> StartAsync(
        IEnumerable<WorkerServer> workers, IDictionary<string, string?>? settings = null, Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null) =>
        StartAsync(workers.Select(w => GatewayWorkerAddress.Loopback(w.Listeners.RestPort, w.Listeners.GrpcPort)), settings, tracing);

    /// <summary>Starts a gateway in front of workers given by address; with none, the ones <paramref name="settings"/> configure (<c>Serving:Gateway:Workers:N</c>).</summary>
    public static async Task<GatewayServer> StartAsync(
        IEnumerable<GatewayWorkerAddress> workers, IDictionary<string, string?>? settings = null, Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null)
    {
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Serving:Gateway:BindAddress"] = "127.0.0.1",
            ["Serving:Gateway:RestPort"] = "0",
            ["Serving:Gateway:GrpcPort"] = "0",
            ["Serving:Gateway:MetricsPort"] = "0",
            ["Serving:Gateway:AdminPort"] = "0",
            ["Serving:Gateway:AdminToken"] = AdminToken,
            ["Serving:Gateway:DiscoveryInterval"] = "00:00:00.200",
            ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        TempDirectory? owned = null;
        if (!config.ContainsKey("Serving:Gateway:DataDirectory"))
        {
            owned = new TempDirectory();
            config["Serving:Gateway:DataDirectory"] = owned.Path;
        }

        GatewayWorkerAddress[] given = [.. workers];
        var app = GatewayHost.Build([], config, given.Length == 0 ? null : given, tracing);
        await app.StartAsync().ConfigureAwait(false);
        return new GatewayServer(app, app.Services.GetRequiredService<GatewayListeners>(), owned);
    }

    /// <summary>A service from the host's container.</summary>
    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Metrics.Dispose();
        Admin?.Dispose();
        Channel.Dispose();
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        _ownedData?.Dispose();
    }
}
