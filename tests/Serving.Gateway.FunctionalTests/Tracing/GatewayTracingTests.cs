using Google.Protobuf;
using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Tracing;

/// <summary>
/// One trace from the caller through the gateway to the worker: gateway request span → "gateway route"
/// → the forward → the worker's request span → its ONNX Runtime run. (Gateway and worker share this
/// process, so the gateway's tracer sees the worker's spans too.)
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayTracingTests(GatewayFixture fixture)
{
    [Fact]
    public async Task RestAndGrpc_OneConnectedTrace_GatewayToWorker()
    {
        var spans = new ConcurrentQueue<Activity>();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));

        var restTrace = await InferAsCallerAsync(gateway, "rest caller");
        ActivityTraceId grpcTrace;
        using (var caller = Caller("grpc caller"))
        {
            grpcTrace = caller.TraceId;
            await Infer.GrpcAsync(gateway.Grpc);
        }

        foreach (var trace in new[] { restTrace, grpcTrace })
        {
            var mine = await WaitForSpansAsync(spans, trace);
            var route = mine.Single(s => s.DisplayName == "gateway route");
            Assert.Equal("tabular", route.GetTagItem("serving.model"));
            var servers = mine.Where(s => s.Kind == ActivityKind.Server).OrderBy(s => s.StartTimeUtc).ToArray();
            Assert.Equal(2, servers.Length);
            Assert.Equal(servers[0].SpanId, route.ParentSpanId);
            var underRoute = mine.Where(s => s.ParentSpanId == route.SpanId).Select(s => s.SpanId).Append(route.SpanId).ToHashSet();
            Assert.Contains(servers[1].ParentSpanId, underRoute);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Untraced_TheWorkersRequestJoinsTheCallersTrace_OrTheGatewaysWhenTheCallerSentNone(bool grpc, bool callerSendsTraceparent)
    {
        // No tracer: the forwarding handlers make no span and leave trace headers alone (ForwarderClients). A listener on
        // ASP.NET Core's source alone sees both servers' request activities, the gateway's and then the worker's.
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA]);
        Assert.False(gateway.Service<Serving.Gateway.Routing.ForwarderClients>().HandlersPropagate);
        var servers = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = servers.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        // A caller whose handler sends only what it is given, as a traced client in another process would.
        using var handler = new SocketsHttpHandler { ActivityHeadersPropagator = null };
        var (trace, callerSpan) = (ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
        var traceparent = callerSendsTraceparent ? $"00-{trace}-{callerSpan}-01" : null;
        if (grpc)
        {
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{gateway.Listeners.GrpcPort}", new() { HttpHandler = handler, DisposeHttpClient = false });
            var headers = new Grpc.Core.Metadata();
            if (traceparent is not null)
            {
                headers.Add("traceparent", traceparent);
            }

            await Infer.GrpcAsync(new Serving.Protocol.Inference.GRPCInferenceService.GRPCInferenceServiceClient(channel), headers: headers);
        }
        else
        {
            using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = gateway.Http.BaseAddress };
            var (status, _, _) = await Infer.RestAsync(http, headers: traceparent is null ? [] : [("traceparent", traceparent)]);
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
        }

        // The two request activities stop around the answer: wait for a trace that holds both (probes make traces of one).
        Activity[] pair = [];
        for (var i = 0; i < 200 && pair.Length < 2; i++)
        {
            pair = [.. servers.GroupBy(a => a.TraceId).Where(g => !callerSendsTraceparent || g.Key == trace).OrderByDescending(g => g.Count()).FirstOrDefault() ?? Enumerable.Empty<Activity>()];
            await Task.Delay(25);
        }

        Assert.True(pair.Length == 2, $"the gateway's and the worker's requests are not in one trace ({servers.Count} request activities seen, probes included)");
        if (callerSendsTraceparent)
        {
            // The caller's traceparent went through as sent: both servers' activities are its children.
            Assert.All(pair, a => Assert.Equal(callerSpan, a.ParentSpanId));
        }
        else
        {
            // None came: the worker's request is a child of the gateway's.
            var first = pair.Single(a => a.ParentSpanId == default);
            Assert.Equal(first.SpanId, pair.Single(a => a != first).ParentSpanId);
        }
    }

    [Fact]
    public async Task Exemplars_NameTheCallersTrace_OnlyWhenATracerExportsIt()
    {
        // Without a tracer the request still has an activity (its trace id from the caller's traceparent), but no
        // exemplar takes it: it would name a trace nobody stored. Series are process-wide and keep their last
        // exemplar, so each case looks for its own caller's trace id.
        await using (var untraced = await GatewayServer.StartAsync([fixture.WorkerA]))
        {
            var trace = await InferAsCallerAsync(untraced, "untraced caller");
            var text = await OpenMetricsAsync(untraced);
            Assert.Contains("serving_gateway_requests_total{", text, StringComparison.Ordinal);
            Assert.DoesNotContain($"trace_id=\"{trace}\"", text, StringComparison.Ordinal);
        }

        var spans = new ConcurrentQueue<Activity>();
        await using var traced = await GatewayServer.StartAsync([fixture.WorkerA], tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));
        var tracedTrace = await InferAsCallerAsync(traced, "traced caller");
        var exemplars = (await OpenMetricsAsync(traced)).Split('\n')
            .Where(l => l.StartsWith("serving_gateway_", StringComparison.Ordinal) && l.Contains($"trace_id=\"{tracedTrace}\"", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(exemplars, l => l.StartsWith("serving_gateway_requests_total{", StringComparison.Ordinal));
        Assert.Contains(exemplars, l => l.StartsWith("serving_gateway_request_duration_seconds_bucket{", StringComparison.Ordinal));
    }

    /// <summary>
    /// A traced gRPC call's server spans, the gateway's and the worker's, carry its method and the status it ended with:
    /// a failed call was a plain "POST" answered 200, with nothing of its gRPC status.
    /// </summary>
    [Theory]
    [InlineData("ok", 0, "OK", 2)]
    [InlineData("unknown model", 5, "NOT_FOUND", 1)] // from the gateway: the worker never sees it
    [InlineData("wrong datatype", 3, "INVALID_ARGUMENT", 2)] // from the worker, passed on
    public async Task Grpc_ServerSpans_CarryTheMethodAndStatus(string call, int status, string statusName, int servers)
    {
        var spans = new ConcurrentQueue<Activity>();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));
        var request = Infer.GrpcRequest(model: call == "unknown model" ? "nope" : "tabular", version: "1");
        if (call == "wrong datatype")
        {
            request.Inputs[0].Datatype = "INT64";
        }

        // The gateway learns the worker within its discovery interval: wait until it routes, untraced.
        Assert.True(await Infer.SucceedsAsync(gateway, "tabular", "1", grpc: true));
        ActivityTraceId trace;
        using (var caller = Caller("grpc caller"))
        {
            trace = caller.TraceId;
            var answer = await Record.ExceptionAsync(() => gateway.Grpc.ModelInferAsync(request).ResponseAsync);
            Assert.Equal(status, answer is Grpc.Core.RpcException e ? (int)e.StatusCode : 0);
        }

        Activity[] mine = [];
        for (var i = 0; i < 200 && mine.Length < servers; i++)
        {
            await Task.Delay(25);
            mine = [.. spans.Where(s => s.TraceId == trace && s.Kind == ActivityKind.Server)];
        }

        Assert.Equal(servers, mine.Length);
        Assert.All(mine, span =>
        {
            Assert.Equal("inference.GRPCInferenceService/ModelInfer", span.DisplayName);
            Assert.Equal("grpc", span.GetTagItem("rpc.system.name"));
            Assert.Equal(statusName, span.GetTagItem("rpc.response.status_code"));
        });
    }

    /// <summary>
    /// A gRPC caller that resets its call mid-message (with its first bytes, or once the gateway has read the model's
    /// name and waits for the rest), on a connection that served a call before, leaves a server span that says
    /// CANCELLED, as the call's metric does. Kestrel fails the body's read before it signals RequestAborted (it does that
    /// on the thread pool), and the span looked at RequestAborted only: 241 of 300 early resets (1 of 300 later ones)
    /// said OK.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Grpc_CallerResetsMidMessage_ServerSpanSaysCancelled_NeverOk(bool afterTheModelWasRead)
    {
        const int Callers = 300;
        var spans = new ConcurrentQueue<Activity>();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));
        Assert.True(await Infer.SucceedsAsync(gateway, "tabular", "1", grpc: true));
        var body = RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray());

        var statuses = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, Callers, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, _) =>
        {
            var trace = ActivityTraceId.CreateRandom();
            Activity? server = null;
            await Http2Frames.GrpcCallThenResetMidMessageAsync(
                gateway.Listeners.GrpcPort, body, afterTheModelWasRead ? body.Length - 4 : 3,
                afterTheModelWasRead ? () => Task.Delay(50) : null,
                () => Poll.UntilAsync(() => (server = spans.FirstOrDefault(s => s.TraceId == trace && s.Kind == ActivityKind.Server)) is not null),
                ("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01"));
            statuses.Add($"{server!.GetTagItem("rpc.response.status_code")}/{server.Status}");
        });

        Assert.Equal($"CANCELLED/{ActivityStatusCode.Unset} x{Callers}", string.Join(", ", statuses.GroupBy(x => x).Select(g => $"{g.Key} x{g.Count()}")));
    }

    /// <summary>
    /// The gateway's probes of its workers (ready and the repository index, every discovery interval) leave no trace: no
    /// client span, and a worker's server span is not sampled (their traceparent says so). They were two root traces a
    /// second per worker. Health checks are not traced by any role.
    /// </summary>
    [Fact]
    public async Task Probes_LeaveNoSpans()
    {
        var spans = new ConcurrentQueue<Activity>();
        await using var worker = await StubWorker.AnsweringAsync("probed", "1");
        worker.Ready = false;
        await using var gateway = await GatewayServer.StartAsync([worker.Address], tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));

        // Three probes seen by the worker (each a ready check, then an index), then a health check of the gateway's own.
        await Poll.UntilAsync(() => worker.NotReadyAnswers >= 3);
        using (var response = await gateway.Http.GetAsync("/v2/health/live"))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        // The server spans of both (this test's own HTTP client spans aside), and the gateway's client spans to the worker.
        var probes = spans.Where(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is "/v2/health/ready" or "/v2/health/live" or "/v2/repository/index"
            || s.Kind == ActivityKind.Client && s.GetTagItem("url.full") is string url && url.Contains($":{worker.RestPort}/", StringComparison.Ordinal));
        Assert.Empty(probes.Select(s => $"{s.Kind} {s.DisplayName} {s.GetTagItem("url.path") ?? s.GetTagItem("url.full")}"));
    }

    private static async Task<ActivityTraceId> InferAsCallerAsync(GatewayServer gateway, string name)
    {
        using var caller = Caller(name);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
        return caller.TraceId;
    }

    private static async Task<string> OpenMetricsAsync(GatewayServer gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0; charset=utf-8");
        using var response = await gateway.Metrics.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static Activity Caller(string name)
    {
        var caller = new Activity(name).SetIdFormat(ActivityIdFormat.W3C);
        caller.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        return caller.Start();
    }

    private static async Task<Activity[]> WaitForSpansAsync(ConcurrentQueue<Activity> spans, ActivityTraceId trace)
    {
        for (var i = 0; i < 200; i++)
        {
            var mine = spans.Where(s => s.TraceId == trace).ToArray();
            if (mine.Count(s => s.Kind == ActivityKind.Server) >= 2 && mine.Any(s => s.DisplayName == "gateway route") && mine.Any(s => s.DisplayName == "onnxruntime run"))
            {
                return mine;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"no connected spans for trace {trace}; saw: {string.Join(", ", spans.Select(s => $"{s.DisplayName}/{s.Kind}"))}");
    }
}
