using System.Net;
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
        using var data = new TempDirectory();
        using var process = await ServingProcess.StartAsync(
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--drift-grpc-port", "0", "--drift-rest-port", "0", "--drift-archive", data.Path,
            "--Serving:Tracing:OtlpEndpoint=" + collector.Endpoint);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        var golden = GoldenFile.Load("tabular", "1");

        // The gateway learns the worker within its discovery interval: the first calls may be 503. Each call its own trace.
        string? traced = null;
        for (var i = 0; i < 100 && traced is null; i++)
        {
            var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/versions/1/infer") { Content = new StringContent(golden.RequestBody()) };
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await http.SendAsync(request);
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

        var spans = collector.Spans.Where(s => s.TraceId == traced).ToArray();
        Assert.Contains(spans, s => s.Name == "gateway route");
        Assert.Contains(spans, s => s.Name == "onnxruntime run");
        var repeated = spans.GroupBy(s => s.SpanId).Where(g => g.Count() > 1).Select(g => $"{g.First().Name} ×{g.Count()} ({string.Join(", ", g.Select(s => s.Service))})").ToArray();
        Assert.True(repeated.Length == 0, "spans exported more than once: " + string.Join("; ", repeated));
        Assert.All(spans, s => Assert.Equal("serving-up", s.Service));
    }
}
