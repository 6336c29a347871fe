using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Serving.Gateway.Hosting;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>
/// A stand-in worker on real Kestrel (127.0.0.1, port 0) whose discovery answers (<c>/v2/health/ready</c>,
/// <c>POST /v2/repository/index</c>, <c>GET /v2/models/{m}/versions/{v}</c>), and the config and statistics the gateway asks
/// for its callers, a test can replace while it runs. Without a fault it behaves: ready, an index of one READY version,
/// that version's metadata, a config, empty statistics, and an empty answer to each infer call.
/// </summary>
internal sealed class MisbehavingWorker : IAsyncDisposable
{
    private WebApplication _app = null!;
    private int _inferCalls;
    private int _indexCalls;
    private volatile Faults _faults = Faults.None;

    private MisbehavingWorker(string model, string version)
    {
        Model = model;
        Version = version;
    }

    /// <summary>What the worker answers instead of its good answers: a null handler keeps the good one.</summary>
    public sealed record Faults(
        Func<HttpContext, MisbehavingWorker, Task>? Ready = null,
        Func<HttpContext, MisbehavingWorker, Task>? Index = null,
        Func<HttpContext, MisbehavingWorker, Task>? Metadata = null,
        Func<HttpContext, MisbehavingWorker, Task>? Config = null,
        Func<HttpContext, MisbehavingWorker, Task>? Statistics = null)
    {
        public static readonly Faults None = new();
    }

    public string Model { get; }

    public string Version { get; }

    public int RestPort { get; private set; }

    public int GrpcPort { get; private set; }

    public GatewayWorkerAddress Address => GatewayWorkerAddress.Loopback(RestPort, GrpcPort);

    /// <summary>The gateway's name for this worker.</summary>
    public string Name => $"http://127.0.0.1:{RestPort}";

    /// <summary>The faults in force; <see cref="Faults.None"/> makes it behave.</summary>
    public Faults Fault
    {
        get => _faults;
        set => _faults = value;
    }

    /// <summary>Infer calls received (REST + gRPC).</summary>
    public int InferCalls => Volatile.Read(ref _inferCalls);

    /// <summary>Index calls received.</summary>
    public int IndexCalls => Volatile.Read(ref _indexCalls);

    /// <summary>The model/version pairs the gateway asked metadata of, in order.</summary>
    public ConcurrentQueue<string> MetadataAsked { get; } = new();

    /// <summary>The good index: the one version, READY.</summary>
    public string GoodIndex => $$"""[{"name":"{{Model}}","version":"{{Version}}","state":"READY"}]""";

    /// <summary>The good metadata of the one version.</summary>
    public string GoodMetadata =>
        $$"""{"name":"{{Model}}","versions":["{{Version}}"],"platform":"onnxruntime_onnx","inputs":[{"name":"input","datatype":"FP32","shape":[-1,30]}],"outputs":[{"name":"probabilities","datatype":"FP32","shape":[-1,2]}]}""";

    public static async Task<MisbehavingWorker> StartAsync(string model, string version)
    {
        var self = new MisbehavingWorker(model, version);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MinResponseDataRate = null);
        ListenOptions? rest = null, grpc = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; rest = l; });
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http2; grpc = l; });
        });
        var app = builder.Build();
        app.MapGet("/v2/health/ready", c => self.Fault.Ready is { } f ? f(c, self) : Task.CompletedTask);
        app.MapPost("/v2/repository/index", c =>
        {
            Interlocked.Increment(ref self._indexCalls);
            return self.Fault.Index is { } f ? f(c, self) : JsonAsync(c, self.GoodIndex);
        });
        app.MapGet("/v2/models/{m}/versions/{v}", (HttpContext c, string m, string v) =>
        {
            self.MetadataAsked.Enqueue($"{m}/{v}");
            if (self.Fault.Metadata is { } f)
            {
                return f(c, self);
            }

            if (m != self.Model || v != self.Version)
            {
                c.Response.StatusCode = 404;
                return Task.CompletedTask;
            }

            return JsonAsync(c, self.GoodMetadata);
        });
        app.MapGet("/v2/models/{m}/versions/{v}/config", c => self.Fault.Config is { } f ? f(c, self) : JsonAsync(c, $$"""{"name":"{{self.Model}}","max_batch_size":0}"""));
        Task Statistics(HttpContext c) => self.Fault.Statistics is { } f ? f(c, self) : JsonAsync(c, """{"model_stats":[]}""");
        app.MapGet("/v2/models/stats", Statistics);
        app.MapGet("/v2/models/{m}/stats", Statistics);
        app.MapGet("/v2/models/{m}/versions/{v}/stats", Statistics);
        Task Infer(HttpContext c)
        {
            Interlocked.Increment(ref self._inferCalls);
            return StubWorker.AnswerAsync(c);
        }

        app.MapPost("/v2/models/{m}/infer", Infer);
        app.MapPost("/v2/models/{m}/versions/{v}/infer", Infer);
        app.MapPost("/inference.GRPCInferenceService/ModelInfer", Infer);
        await app.StartAsync();
        self._app = app;
        self.RestPort = rest!.IPEndPoint!.Port;
        self.GrpcPort = grpc!.IPEndPoint!.Port;
        return self;
    }

    public static Task JsonAsync(HttpContext context, string body, string contentType = "application/json")
    {
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }
}
