using System.Net;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Serving.FunctionalTests.Hosting;
using Serving.Testing;

namespace Serving.FunctionalTests.Tracing;

/// <summary>
/// <c>serving up</c> with an OTLP endpoint exports each span once. Its three roles share one process, and a tracer
/// records every role's spans in its process (activity listeners are process-wide): one tracer per role exported each
/// span three times, once under each role's service name.
/// </summary>
public sealed class ServingUpTracingTests
{
    [Fact]
    public async Task ServingUp_WithOtlpEndpoint_ExportsEachSpanOnce()
    {
        await using var collector = await OtlpCollector.StartAsync();
        var (traced, output) = await ServeOneTracedRequestAsync(collector);

        var spans = collector.Spans.Where(s => s.TraceId == traced).ToArray();
        Assert.True(spans.Any(s => s.Name == "gateway route") && spans.Any(s => s.Name == "onnxruntime run"), Received(collector, traced, spans, output));
        var repeated = spans.GroupBy(s => s.SpanId).Where(g => g.Count() > 1).Select(g => $"{g.First().Name} ×{g.Count()} ({string.Join(", ", g.Select(s => s.Service))})").ToArray();
        Assert.True(repeated.Length == 0, "spans exported more than once: " + string.Join("; ", repeated));
        Assert.All(spans, s => Assert.Equal("serving-up", s.Service));
        Assert.DoesNotContain("did not send its last spans", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The spans of the requests served just before the stop reach a collector that takes longer than 5 s to take them:
    /// the provider's disposal waits 5 s and no more, and the process exited with them unsent (no span of the trace).
    /// </summary>
    [Fact]
    public async Task ServingUp_CollectorSlowerThanFiveSeconds_StillGetsTheLastSpans()
    {
        await using var collector = await OtlpCollector.StartAsync(readDelay: TimeSpan.FromSeconds(7));
        // Up to two exports of 7 s each may be ahead of the stop's (the one under way, then the last): the default 15 s
        // is near that on a busy machine, so this test gives 30 (the host's shutdown timeout, its drain timeout, is 30 s).
        var (traced, output) = await ServeOneTracedRequestAsync(collector, "--Serving:Tracing:ExportFlushTimeout=00:00:30");

        var spans = collector.Spans.Where(s => s.TraceId == traced).ToArray();
        Assert.True(spans.Any(s => s.Name == "gateway route") && spans.Any(s => s.Name == "onnxruntime run"), Received(collector, traced, spans, output));
    }

    // What the collector has, for a failure's message: this trace's spans, the others', and the process's output.
    private static string Received(OtlpCollector collector, string traced, OtlpCollector.ReceivedSpan[] spans, string output) =>
        $"trace {traced}: spans [{string.Join(", ", spans.Select(s => s.Name))}]; the collector has {collector.Spans.Count} span(s) in all, "
        + $"from {collector.Exports} export call(s): "
        + string.Join("; ", collector.Spans.GroupBy(s => s.TraceId).Select(g => $"trace {g.Key} [{string.Join(", ", g.Select(Describe))}]"))
        + "\n" + output;

    // A span for a failure's message: name, id, parent and string attributes, e.g. a server span's url.path and server.port.
    private static string Describe(OtlpCollector.ReceivedSpan span) =>
        $"{span.Name} ({span.SpanId} ← {(span.ParentSpanId.Length == 0 ? "root" : span.ParentSpanId)}; {string.Join(" ", span.Attributes)})";

    // Runs serving up exporting to the collector, serves one traced request through the gateway, and stops it (SIGTERM):
    // the trace id, and the requests sent with the process's output.
    private static async Task<(string TraceId, string Output)> ServeOneTracedRequestAsync(OtlpCollector collector, params string[] settings)
    {
        using var data = new TempDirectory();
        using var process = await ServingProcess.StartAsync(
        [
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--drift-grpc-port", "0", "--drift-rest-port", "0", "--drift-archive", data.Path,
            "--Serving:Tracing:OtlpEndpoint=" + collector.Endpoint, .. settings,
        ]);
        // The test process holds a tracer provider that instruments HttpClient, as it does in the full suite whenever
        // another test's in-process host traces: its instrumentation replaces the traceparent a request carries with its
        // own client span's, of a new trace, unless the handler's propagation is off (then it leaves the headers alone).
        // With a default handler this test failed in CI: the collector had the request's spans, under another trace.
        using var testProcessTracer = Sdk.CreateTracerProviderBuilder().AddHttpClientInstrumentation().Build();
        using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        var golden = GoldenFile.Load("tabular", "1");

        // The gateway learns the worker within its discovery interval: the first calls may be 503. Each call its own trace.
        string? traced = null;
        var sent = new List<string>();
        for (var i = 0; i < 100 && traced is null; i++)
        {
            var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/versions/1/infer") { Content = new StringContent(golden.RequestBody()) };
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await http.SendAsync(request);
            sent.Add($"{traceId} → {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                traced = traceId;
            }
            else
            {
                await Task.Delay(100);
            }
        }

        Assert.True(traced is not null, "the gateway never answered 200\n" + process.Output);

        // The exporter sends what it holds when the process stops.
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        return (traced, $"requests sent (trace id → status): {string.Join(", ", sent)}\n{process.Output}");
    }
}
