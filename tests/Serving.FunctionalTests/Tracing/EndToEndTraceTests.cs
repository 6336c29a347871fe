using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using OpenTelemetry.Trace;
using Serving.FunctionalTests.Observability;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Tracing;

/// <summary>
/// One client request with a W3C <c>traceparent</c> header, through a real gateway to a real worker
/// (entity form: the feature lookup runs; prediction logs ship to a real drift monitor), is one
/// connected trace. The roles share this process, so one tracer (the gateway's) records every role's
/// spans; the worker can only learn the gateway's span ids from the header YARP sends.
/// </summary>
public sealed class EndToEndTraceTests
{
    private static readonly string[] WorkerChildren = ["queue wait", "feature lookup", "onnxruntime run", "prediction log enqueue"];

    [Fact]
    public async Task RestAndGrpc_TraceparentThroughGatewayToWorker_OneConnectedTrace_AndTheLogBatchLinksBack()
    {
        var spans = new ConcurrentQueue<Activity>();
        await using var system = await ObservedSystem.StartAsync(tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));
        using var clients = new TraceparentClients(system.Gateway.Listeners.RestPort, system.Gateway.Listeners.GrpcPort);
        var ids = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "features.csv")).Skip(1).Take(2).Select(l => long.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)).ToArray();

        // Wait until the gateway routes (untraced), so the traced calls below are single attempts.
        var (status, body) = await system.InferAsync("/v2/models/tabular/versions/1/infer", GoldenFile.Load("tabular", "1").RequestBody());
        Assert.True(status == HttpStatusCode.OK, body);

        var rest = TraceparentClients.NewCaller();
        using (var response = await clients.PostAsync(
            "/v2/models/tabular/versions/1/infer", $$"""{"inputs":[{"name":"customer_id","datatype":"INT64","shape":[1],"data":[{{ids[0]}}]}]}""", rest.Header))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        var grpc = TraceparentClients.NewCaller();
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "customer_id", Datatype = "INT64", Contents = new InferTensorContents() };
        input.Shape.Add(1);
        input.Contents.Int64Contents.Add(ids[1]);
        request.Inputs.Add(input);
        await clients.InferAsync(request, grpc.Header);

        foreach (var (trace, callerSpan, _) in new[] { rest, grpc })
        {
            var mine = await WaitForTraceAsync(spans, trace);

            // The gateway's server span continues the caller's trace; "gateway route" hangs under it.
            var servers = mine.Where(s => s.Kind == ActivityKind.Server).ToArray();
            Assert.Equal(2, servers.Length);
            var gatewayServer = Assert.Single(servers, s => s.ParentSpanId == callerSpan);
            var workerServer = Assert.Single(servers, s => s != gatewayServer);
            var route = Assert.Single(mine, s => s.DisplayName == "gateway route");
            Assert.Equal(gatewayServer.SpanId, route.ParentSpanId);

            // The worker's server span's parent is a gateway span under "gateway route": its id came over the wire in traceparent.
            var forward = Assert.Single(mine, s => s.SpanId == workerServer.ParentSpanId);
            Assert.True(forward == route || IsUnder(forward, route, mine), $"the worker's parent '{forward.DisplayName}' is not under 'gateway route'");

            // Queue wait, feature lookup, ONNX Runtime run and the log enqueue are the worker request's children.
            foreach (var name in WorkerChildren)
            {
                var child = Assert.Single(mine, s => s.DisplayName == name);
                Assert.Equal(workerServer.SpanId, child.ParentSpanId);
                Assert.Equal("tabular", child.GetTagItem("serving.model"));
            }

            // Connected: every span's parent is the caller's span or another span of the trace.
            var known = mine.Select(s => s.SpanId).Append(callerSpan).ToHashSet();
            Assert.All(mine, s => Assert.Contains(s.ParentSpanId, known));

            // The batch that shipped the request's row is a trace of its own, linked to the request's enqueue span.
            var enqueue = mine.Single(s => s.DisplayName == "prediction log enqueue");
            var send = await WaitForAsync(
                () => spans.FirstOrDefault(s => s.DisplayName == "prediction log send" && s.Links.Any(l => l.Context.SpanId == enqueue.SpanId)),
                $"a 'prediction log send' span linked to the enqueue span of trace {trace}");
            Assert.NotEqual(trace, send.TraceId);
            Assert.Equal(ActivityKind.Producer, send.Kind);
            Assert.Contains(send.Links, l => l.Context.TraceId == trace);
        }
    }

    private static bool IsUnder(Activity span, Activity ancestor, Activity[] trace)
    {
        for (var current = span; current is not null; current = trace.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<Activity[]> WaitForTraceAsync(ConcurrentQueue<Activity> spans, ActivityTraceId trace)
    {
        for (var i = 0; i < 400; i++)
        {
            var mine = spans.Where(s => s.TraceId == trace).ToArray();
            if (mine.Count(s => s.Kind == ActivityKind.Server) >= 2 && WorkerChildren.All(n => mine.Any(s => s.DisplayName == n)))
            {
                // Spans end (and are exported) innermost first: give the outer ones a moment more.
                await Task.Delay(100);
                return [.. spans.Where(s => s.TraceId == trace)];
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"trace {trace} incomplete; saw: {string.Join(", ", spans.Where(s => s.TraceId == trace).Select(s => $"{s.DisplayName}/{s.Kind}"))}");
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> read, string what)
        where T : class
    {
        for (var i = 0; i < 400; i++)
        {
            if (read() is { } value)
            {
                return value;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException("never saw " + what);
    }
}
