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
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], tracing: t => t.AddInMemoryExporter(new QueueCollection(spans)));

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
        await using var traced = await GatewayServer.StartAsync([fixture.WorkerA], tracing: t => t.AddInMemoryExporter(new QueueCollection(spans)));
        var tracedTrace = await InferAsCallerAsync(traced, "traced caller");
        var exemplars = (await OpenMetricsAsync(traced)).Split('\n')
            .Where(l => l.StartsWith("serving_gateway_", StringComparison.Ordinal) && l.Contains($"trace_id=\"{tracedTrace}\"", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(exemplars, l => l.StartsWith("serving_gateway_requests_total{", StringComparison.Ordinal));
        Assert.Contains(exemplars, l => l.StartsWith("serving_gateway_request_duration_seconds_bucket{", StringComparison.Ordinal));
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

    /// <summary>The in-memory exporter wants an ICollection; a queue keeps it safe across threads.</summary>
    private sealed class QueueCollection(ConcurrentQueue<Activity> queue) : ICollection<Activity>
    {
        public int Count => queue.Count;

        public bool IsReadOnly => false;

        public void Add(Activity item) => queue.Enqueue(item);

        public void Clear() => queue.Clear();

        public bool Contains(Activity item) => queue.Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => queue.CopyTo(array, arrayIndex);

        public bool Remove(Activity item) => throw new NotSupportedException();

        public IEnumerator<Activity> GetEnumerator() => queue.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => queue.GetEnumerator();
    }
}
