using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Hosting;

public sealed class TracingTests
{
    [Fact]
    public async Task LoggedPrediction_YieldsASendSpanInTheWorker_AndIngestAndEvaluationSpansInTheMonitor()
    {
        var spans = new SpanCollection();
        await using var drift = await DriftServer.StartAsync(
            new Dictionary<string, string?> { ["Serving:Drift:Evaluation:EveryRecords"] = "10" },
            tracing: t => t.AddInMemoryExporter(spans));
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(
            repository.Path,
            new Dictionary<string, string?> { ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint, ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010" },
            tracing: t => t.AddInMemoryExporter(spans));
        var rows = ReferenceRows.Load("tabular", "1");

        await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(new Random(41), 10)));

        // Each span is exported when it ends, and the three end on different threads in no set order (the evaluation can
        // end before the ingest span that asked for it, the ack before the worker's send span): wait for all three.
        await Eventually.TrueAsync(
            () => spans.Named("drift evaluation").Length > 0 && spans.Named("prediction log send").Length > 0 && IngestOfTen(spans).Length > 0,
            "an evaluation span, a send span and the ingest span of the 10 records");
        var send = spans.Named("prediction log send").First();
        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal(10, send.GetTagItem("serving.logs.records"));
        var ingest = IngestOfTen(spans).First();
        Assert.Equal(ActivityKind.Consumer, ingest.Kind);
        Assert.Equal(default, ingest.ParentSpanId); // a batch is a trace of its own, not a child of the hours-long stream
        var evaluation = spans.Named("drift evaluation")[0];
        Assert.Equal("tabular", evaluation.GetTagItem("serving.model"));
        Assert.Equal(10, evaluation.GetTagItem("serving.drift.window"));
    }

    /// <summary>
    /// A host stopped twice (StopAsync, then its disposal) shuts its tracer down once and says nothing of unsent spans: the
    /// second stop's Shutdown answered false, logged as "did not send its last spans" (AlertSweepTests caught it in CI).
    /// </summary>
    [Fact]
    public async Task StoppedTwice_NoWarningOfUnsentSpans()
    {
        var spans = new SpanCollection();
        var logs = new CapturingLoggerProvider();
        var drift = await DriftServer.StartAsync(
            tracing: t => t.AddInMemoryExporter(spans).ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));

        await drift.App.StopAsync();
        await drift.DisposeAsync();

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private static Activity[] IngestOfTen(SpanCollection spans) =>
        [.. spans.Named("prediction log ingest").Where(s => s.GetTagItem("serving.logs.accepted") is long accepted && accepted == 10)];
}
