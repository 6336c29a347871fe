using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>
/// A stand-in worker that says it serves one model version, ready, and never answers an infer
/// call (it waits <see cref="Stall"/> first): the shadow that a blocking gateway would wait for.
/// </summary>
internal sealed class StallingWorker : IAsyncDisposable
{
    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private int _calls;

    private StallingWorker(WebApplication app, int restPort, int grpcPort)
    {
        _app = app;
        RestPort = restPort;
        GrpcPort = grpcPort;
    }

    public int RestPort { get; }

    public int GrpcPort { get; }

    /// <summary>Infer calls received (REST + gRPC).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<StallingWorker> StartAsync(string model, string version)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? rest = null, grpc = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; rest = l; });
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http2; grpc = l; });
        });
        var app = builder.Build();
        StallingWorker? self = null;
        app.MapGet("/v2/health/ready", () => Results.Ok());
        app.MapPost("/v2/repository/index", () => Results.Text($$"""[{"name":"{{model}}","version":"{{version}}","state":"READY"}]""", "application/json"));
        app.MapGet($"/v2/models/{model}/versions/{version}", () => Results.Text(
            $$"""{"name":"{{model}}","versions":["{{version}}"],"platform":"onnxruntime_onnx","inputs":[{"name":"input","datatype":"FP32","shape":[-1,30]}],"outputs":[{"name":"probabilities","datatype":"FP32","shape":[-1,2]}]}""",
            "application/json"));
        app.MapPost("/v2/models/{m}/infer", (HttpContext c) => self!.StallAsync(c));
        app.MapPost("/v2/models/{m}/versions/{v}/infer", (HttpContext c) => self!.StallAsync(c));
        app.MapPost("/inference.GRPCInferenceService/ModelInfer", (HttpContext c) => self!.StallAsync(c));
        await app.StartAsync();
        self = new StallingWorker(app, rest!.IPEndPoint!.Port, grpc!.IPEndPoint!.Port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    private async Task StallAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        try
        {
            await Task.Delay(Stall, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        context.Response.StatusCode = 500;
    }
}
