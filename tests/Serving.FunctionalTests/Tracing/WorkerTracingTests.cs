using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry.Trace;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Tracing;

/// <summary>A request that carries a W3C traceparent yields one connected trace: server span → queue wait → ONNX Runtime run.</summary>
public sealed class WorkerTracingTests
{
    [Fact]
    public async Task RestAndGrpc_TraceparentCarriedThrough_WorkerSpansAreChildrenOfTheRequestSpan()
    {
        var spans = new ConcurrentQueue<Activity>();
        await using var server = await WorkerServer.StartAsync(RepoPaths.Models, tracing: t => t.AddInMemoryExporter(new SpanQueue(spans)));
        var golden = GoldenFile.Load("tabular", "1");

        // The caller's own span: the clients carry its context as a W3C traceparent header.
        ActivityTraceId restTrace;
        using (var caller = Caller("rest caller"))
        {
            restTrace = caller.TraceId;
            using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody()));
            Assert.True(response.IsSuccessStatusCode);
        }

        var call = golden.GrpcRequest("tabular", "1");
        ActivityTraceId grpcTrace;
        using (var caller = Caller("grpc caller"))
        {
            grpcTrace = caller.TraceId;
            await server.Grpc.ModelInferAsync(call);
        }

        foreach (var trace in new[] { restTrace, grpcTrace })
        {
            var mine = await WaitForSpansAsync(spans, trace);
            Assert.DoesNotContain(mine, s => s.DisplayName == "feature lookup"); // inline inputs: no lookup
            var serverSpan = mine.Single(s => s.Kind == ActivityKind.Server);
            foreach (var name in new[] { "queue wait", "onnxruntime run" })
            {
                var child = mine.Single(s => s.DisplayName == name);
                Assert.Equal(serverSpan.SpanId, child.ParentSpanId);
                Assert.Equal("tabular", child.GetTagItem("serving.model"));
                Assert.True(child.StartTimeUtc >= serverSpan.StartTimeUtc, $"{name} starts before its request");
            }
        }
    }

    /// <summary>A sampled W3C span, as a traced client would have (an unsampled parent would make the server drop its spans).</summary>
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
            if (mine.Any(s => s.Kind == ActivityKind.Server) && mine.Any(s => s.DisplayName == "onnxruntime run"))
            {
                return mine;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"no connected spans for trace {trace}; saw: {string.Join(", ", spans.Select(s => s.DisplayName))}");
    }
}
