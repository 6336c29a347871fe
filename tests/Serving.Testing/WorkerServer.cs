using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.Protocol.Inference;
using Serving.Worker.Hosting;

namespace Serving.Testing;

/// <summary>A real worker host on Kestrel, 127.0.0.1 port 0, with real HTTP and gRPC clients.</summary>
public sealed class WorkerServer : IAsyncDisposable
{
    private WorkerServer(WebApplication app, WorkerListeners listeners)
    {
        App = app;
        Listeners = listeners;
        Http = TestHttp.Client(new Uri($"http://127.0.0.1:{listeners.RestPort}"));
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{listeners.GrpcPort}", new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        Grpc = new GRPCInferenceService.GRPCInferenceServiceClient(Channel);
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    /// <summary>The bound ports.</summary>
    public WorkerListeners Listeners { get; }

    /// <summary>A client on the REST port.</summary>
    public HttpClient Http { get; }

    /// <summary>A channel on the gRPC port.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The Open Inference Protocol gRPC client.</summary>
    public GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    /// <summary>Starts a worker over <paramref name="modelRepository"/>; <paramref name="settings"/> override configuration keys.</summary>
    public static async Task<WorkerServer> StartAsync(
        string modelRepository, IDictionary<string, string?>? settings = null, Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Serving:Worker:ModelRepository"] = modelRepository,
            ["Serving:Worker:BindAddress"] = "127.0.0.1",
            ["Serving:Worker:RestPort"] = "0",
            ["Serving:Worker:GrpcPort"] = "0",
            ["Serving:Worker:MetricsPort"] = "0",
            ["Serving:Worker:RepositoryPollInterval"] = "00:00:00",
            ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var app = WorkerHost.Build([], config, tracing);
        await app.StartAsync().ConfigureAwait(false);
        return new WorkerServer(app, app.Services.GetRequiredService<WorkerListeners>());
    }

    /// <summary>A service from the host's container.</summary>
    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
