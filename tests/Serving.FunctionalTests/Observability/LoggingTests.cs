using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.Hosting;

namespace Serving.FunctionalTests.Observability;

/// <summary>Log entries written inside a request carry its trace id; the hot path writes nothing at Information; the console format is validated.</summary>
public sealed class LoggingTests
{
    [Fact]
    public async Task RequestLogEntry_ScopeCarriesTheCallersTraceId()
    {
        var logs = new CapturingLoggerProvider();

        // ASP.NET Core's request lines, which an operator turns on to debug, are the request-path entries here.
        await using var worker = await WorkerServer.StartAsync(
            RepoPaths.Models,
            new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" },
            tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        using var clients = new TraceparentClients(worker.Listeners.RestPort, worker.Listeners.GrpcPort);
        var (trace, callerSpan, header) = TraceparentClients.NewCaller();

        using var response = await clients.PostAsync("/v2/models/tabular/versions/1/infer", GoldenFile.Load("tabular", "1").RequestBody(), header);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var mine = await EventuallyAsync(() => logs.Entries.Where(e => e.TraceId == trace.ToString()).ToArray(), e => e.Any(x => x.Message.Contains("finished", StringComparison.Ordinal)));
        Assert.All(mine, e =>
        {
            Assert.Equal(callerSpan.ToString(), e.Scopes["ParentId"]);
            Assert.Matches("^[0-9a-f]{16}$", e.Scopes["SpanId"]);
            Assert.NotEqual(callerSpan.ToString(), e.Scopes["SpanId"]);
        });
        Assert.Contains(mine, e => e.Message.Contains("/v2/models/tabular/versions/1/infer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HotPath_AtProductionLevels_WritesNoInformationEntryPerRequest()
    {
        var logs = new CapturingLoggerProvider();
        var production = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" };
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, production, tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        await using var gateway = await GatewayServer.StartAsync([worker], production, tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        using var clients = new TraceparentClients(gateway.Listeners.RestPort, gateway.Listeners.GrpcPort);
        var golden = GoldenFile.Load("tabular", "1");
        await WaitForRouteAsync(gateway, golden);
        var before = logs.Entries.Count(e => e.Level >= LogLevel.Information);

        const int Requests = 24;
        var traces = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Requests / 4; i++)
        {
            var (trace, _, header) = TraceparentClients.NewCaller();
            traces.Add(trace.ToString());
            using (var ok = await clients.PostAsync("/v2/models/tabular/versions/1/infer", golden.RequestBody(), header))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            using (var bad = await clients.PostAsync("/v2/models/tabular/versions/1/infer", """{"inputs":[{"name":"nope","datatype":"FP32","shape":[1,30],"data":[0]}]}""", header))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }

            await clients.InferAsync(golden.GrpcRequest("tabular", "1"), header);
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => clients.InferAsync(new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" }, header));
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        }

        var perRequest = logs.Entries.Where(e => e.Level >= LogLevel.Information && e.TraceId is { } t && traces.Contains(t)).ToArray();
        Assert.True(perRequest.Length == 0, "request-path entries at Information or above:\n" + string.Join("\n", perRequest.Select(e => $"{e.Level} {e.Category}: {e.Message}")));
        var during = logs.Entries.Count(e => e.Level >= LogLevel.Information) - before;
        Assert.True(during < Requests / 2, $"{during} entries at Information or above during {Requests} requests");
    }

    [Fact]
    public async Task JsonFormat_SelectsTheJsonConsoleFormatter_WithScopes()
    {
        await using var app = WorkerHost.Build([], new Dictionary<string, string?> { ["Serving:Logging:Format"] = "json", ["Serving:Worker:ModelRepository"] = RepoPaths.Models });
        var console = app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var json = app.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        await using var simple = WorkerHost.Build([], new Dictionary<string, string?> { ["Serving:Worker:ModelRepository"] = RepoPaths.Models });

        Assert.Equal(ConsoleFormatterNames.Json, console.FormatterName);
        Assert.True(json.IncludeScopes);
        Assert.True(json.UseUtcTimestamp);
        Assert.Equal(ConsoleFormatterNames.Simple, simple.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.True(simple.Services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue.IncludeScopes);
        var tracking = app.Services.GetRequiredService<IOptions<LoggerFactoryOptions>>().Value.ActivityTrackingOptions;
        Assert.True(tracking.HasFlag(ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId), tracking.ToString());
    }

    [Fact]
    public async Task UnknownFormat_FailsTheStart_NamingTheKey()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { ["Serving:Logging:Format"] = "xml" }));

        Assert.Contains("Serving:Logging:Format", error.Message, StringComparison.Ordinal);
        Assert.Contains("'xml'", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitForRouteAsync(GatewayServer gateway, GoldenFile golden)
    {
        for (var i = 0; i < 100; i++)
        {
            using var response = await gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody()));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException("the gateway never routed tabular v1");
    }

    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done)
    {
        for (var i = 0; i < 200; i++)
        {
            var value = read();
            if (done(value))
            {
                return value;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException("condition not met: " + read());
    }
}
