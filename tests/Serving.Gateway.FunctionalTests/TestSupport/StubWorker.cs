using Google.Protobuf;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>
/// A stand-in worker on real Kestrel (127.0.0.1, port 0) that says it serves one model version and answers
/// infer calls (REST and gRPC) with a handler the test picks: stall (the shadow a blocking gateway would wait
/// for), answer, or start answering and then abort the connection. Its readiness can be switched off.
/// </summary>
internal sealed class StubWorker : IAsyncDisposable
{
    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

    private WebApplication _app = null!;
    private int _calls;
    private int _notReadyAnswers;
    private int _uploadsEnded;
    private volatile bool _ready = true;
    private volatile bool _listed = true;

    private StubWorker()
    {
    }

    public int RestPort { get; private set; }

    public int GrpcPort { get; private set; }

    public GatewayWorkerAddress Address => GatewayWorkerAddress.Loopback(RestPort, GrpcPort);

    /// <summary>Infer calls received (REST + gRPC).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The ModelStreamInfer uploads a <see cref="HoldingStreamsAsync"/> worker read to their end.</summary>
    public int UploadsEnded => Volatile.Read(ref _uploadsEnded);

    /// <summary>How each infer call arrived, in order: its HTTP protocol and the port it came in on, e.g. <c>HTTP/2 41234</c>.</summary>
    public ConcurrentQueue<string> Arrivals { get; } = new();

    /// <summary>The infer calls a <see cref="RecordingAsync"/> worker received, in order.</summary>
    public ConcurrentQueue<ReceivedCall> Received { get; } = new();

    /// <summary>What <c>GET /v2/health/ready</c> answers: 200 when true, 503 when false.</summary>
    public bool Ready
    {
        get => _ready;
        set => _ready = value;
    }

    /// <summary>Whether its repository index lists its model version (false: an empty index, as when the version was removed).</summary>
    public bool Listed
    {
        get => _listed;
        set => _listed = value;
    }

    /// <summary>How many readiness probes were answered "not ready".</summary>
    public int NotReadyAnswers => Volatile.Read(ref _notReadyAnswers);

    /// <summary>A worker whose infer calls never get an answer.</summary>
    public static Task<StubWorker> StallingAsync(string model, string version) => StartAsync(model, version, StallAsync);

    /// <summary>A worker whose infer calls get an empty answer: REST 200 <c>{"outputs": []}</c>, gRPC an empty ModelInferResponse.</summary>
    public static Task<StubWorker> AnsweringAsync(string model, string version) => StartAsync(model, version, AnswerAsync);

    /// <summary>A worker that keeps what each infer call brought (<see cref="Received"/>) and answers as <see cref="AnsweringAsync"/> does.</summary>
    public static async Task<StubWorker> RecordingAsync(string model, string version)
    {
        StubWorker? self = null;
        self = await StartAsync(model, version, async c =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body, c.RequestAborted);
            var headers = c.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            self!.Received.Enqueue(new ReceivedCall(c.Request.Path + c.Request.QueryString, headers, body.ToArray()));
            await AnswerAsync(c);
        });
        return self;
    }

    /// <summary>A worker whose infer calls (REST and gRPC) get what <paramref name="infer"/> does with them.</summary>
    public static Task<StubWorker> HandlingAsync(string model, string version, Func<HttpContext, Task> infer) => StartAsync(model, version, infer);

    /// <summary>A worker that sends the response headers and part of the body of every infer call, then aborts the connection.</summary>
    public static Task<StubWorker> AbortingMidAnswerAsync(string model, string version) => StartAsync(model, version, AbortMidAnswerAsync);

    /// <summary>
    /// A worker that reads each infer call, waits <paramref name="wait"/>, and cancels it without an answer: RST_STREAM
    /// CANCEL on HTTP/2 (what a worker's stream ended at the caller's deadline looks like), a closed connection on HTTP/1.1.
    /// </summary>
    public static Task<StubWorker> CancellingAsync(string model, string version, TimeSpan wait) =>
        StartAsync(model, version, async c =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null, c.RequestAborted);
            await Task.Delay(wait, c.RequestAborted);
            if (c.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResetFeature>() is { } reset)
            {
                reset.Reset(0x8);
            }
            else
            {
                c.Abort();
            }
        });

    /// <summary>
    /// A worker whose ModelStreamInfer calls get one whole answer (id <c>first</c>) to their first message, and are aborted
    /// (Kestrel resets the stream) at the second; with <paramref name="midMessage"/> part of a second answer went out with the first.
    /// </summary>
    public static Task<StubWorker> BreakingStreamsAsync(string model, string version, bool midMessage) =>
        StartAsync(model, version, c => BreakStreamAsync(c, midMessage));

    /// <summary>
    /// A worker whose ModelStreamInfer calls never get an answer: it reads the upload to its end, then holds the call until
    /// the gateway gives it up. <see cref="UploadsEnded"/> counts the uploads that ended cleanly (the gateway half-closed
    /// them), not those reset or cut.
    /// </summary>
    public static async Task<StubWorker> HoldingStreamsAsync(string model, string version)
    {
        StubWorker? self = null;
        self = await StartAsync(model, version, async c =>
        {
            try
            {
                await c.Request.Body.CopyToAsync(Stream.Null, c.RequestAborted);
                Interlocked.Increment(ref self!._uploadsEnded);
                await Task.Delay(Stall, c.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The gateway cut the call.
            }
        });
        return self;
    }

    /// <summary>
    /// A real gateway in front of <paramref name="workers"/> that probes them every <paramref name="discoveryInterval"/>; with
    /// <paramref name="keepFailingWorkers"/> a worker that failed a request is not left out (no passive exclusion).
    /// </summary>
    public static Task<GatewayServer> GatewayAsync(
        IEnumerable<StubWorker> workers, string discoveryInterval, bool keepFailingWorkers = false, string? restToWorkers = null) =>
        GatewayServer.StartAsync(workers.Select(w => w.Address), new Dictionary<string, string?>
        {
            ["Serving:Gateway:DiscoveryInterval"] = discoveryInterval,
            ["Serving:Gateway:PassiveReactivationPeriod"] = keepFailingWorkers ? "00:00:00" : null,
            ["Serving:Gateway:RestToWorkers"] = restToWorkers,
        });

    /// <summary>Stops the worker the hard way: its listeners close and open connections are aborted.</summary>
    public Task KillAsync() => _app.StopAsync(new CancellationToken(canceled: true));

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _app.DisposeAsync();
    }

    private static async Task<StubWorker> StartAsync(string model, string version, Func<HttpContext, Task> infer)
    {
        var self = new StubWorker();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? rest = null, grpc = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; rest = l; });
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http2; grpc = l; });
        });
        var app = builder.Build();
        app.MapGet("/v2/health/ready", () => self.ReadyAnswer());
        app.MapPost("/v2/repository/index", () => Results.Text(self._listed ? $$"""[{"name":"{{model}}","version":"{{version}}","state":"READY"}]""" : "[]", "application/json"));
        app.MapGet($"/v2/models/{model}/versions/{version}", () => Results.Text(
            $$"""{"name":"{{model}}","versions":["{{version}}"],"platform":"onnxruntime_onnx","inputs":[{"name":"input","datatype":"FP32","shape":[-1,30]}],"outputs":[{"name":"probabilities","datatype":"FP32","shape":[-1,2]}]}""",
            "application/json"));
        Task Infer(HttpContext c)
        {
            Interlocked.Increment(ref self._calls);
            self.Arrivals.Enqueue($"{c.Request.Protocol} {c.Connection.LocalPort}");
            return infer(c);
        }

        app.MapPost("/v2/models/{m}/infer", Infer);
        app.MapPost("/v2/models/{m}/versions/{v}/infer", Infer);
        app.MapPost("/inference.GRPCInferenceService/ModelInfer", Infer);
        app.MapPost("/inference.GRPCInferenceService/ModelStreamInfer", Infer);
        await app.StartAsync();
        self._app = app;
        self.RestPort = rest!.IPEndPoint!.Port;
        self.GrpcPort = grpc!.IPEndPoint!.Port;
        return self;
    }

    private IResult ReadyAnswer()
    {
        if (_ready)
        {
            return Results.Ok();
        }

        Interlocked.Increment(ref _notReadyAnswers);
        return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
    }

    private static bool IsGrpc(HttpContext context) => context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;

    private static async Task StallAsync(HttpContext context)
    {
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

    /// <summary>The empty answer <see cref="AnsweringAsync"/> gives an infer call (REST or gRPC), after reading its body.</summary>
    internal static async Task AnswerAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        if (IsGrpc(context))
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"outputs": []}""", context.RequestAborted);
    }

    /// <summary>One infer call as a worker received it: path and query, headers (several values joined by commas), body.</summary>
    public sealed record ReceivedCall(string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    private static async Task BreakStreamAsync(HttpContext context, bool midMessage)
    {
        // The first message whole; the caller keeps its side open.
        await ReadMessageAsync(context);
        context.Response.ContentType = "application/grpc";
        var answer = new Serving.Protocol.Inference.ModelStreamInferResponse { InferResponse = new() { Id = "first" } }.ToByteArray();
        var framed = new byte[5 + answer.Length + (midMessage ? 6 : 0)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)answer.Length);
        answer.CopyTo(framed, 5);
        if (midMessage)
        {
            // In the same write: a second answer's prefix that promises 64 bytes, and one of them.
            new byte[] { 0, 0, 0, 0, 64, 0x0A }.CopyTo(framed, 5 + answer.Length);
        }

        await context.Response.Body.WriteAsync(framed, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);

        // The caller sends its second message once it has the first answer: then the connection goes.
        await ReadMessageAsync(context);
        context.Abort();
    }

    // One length-prefixed gRPC message from the request body (or its end).
    private static async Task ReadMessageAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var buffer = read.Buffer;
            var length = buffer.Length >= 5 ? 5 + System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Buffers.BuffersExtensions.ToArray(buffer.Slice(1, 4))) : long.MaxValue;
            if (buffer.Length >= length || read.IsCompleted)
            {
                reader.AdvanceTo(buffer.GetPosition(Math.Min(length, buffer.Length)));
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task AbortMidAnswerAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        var grpc = IsGrpc(context);
        context.Response.ContentType = grpc ? "application/grpc" : "application/json";

        // A gRPC message header that promises 64 bytes, followed by one; a JSON document cut short.
        await context.Response.Body.WriteAsync(grpc ? new byte[] { 0, 0, 0, 0, 64, 0x0A } : """{"outputs": [{"na"""u8.ToArray(), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        context.Abort();
    }
}
