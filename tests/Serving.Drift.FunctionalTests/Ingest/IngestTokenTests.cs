using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.PredictionLogs;
using Serving.Testing;
using Serving.Worker.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>
/// Serving:Drift:IngestToken: a stream without the bearer token, or with another, is refused UNAUTHENTICATED before a
/// batch is read; the worker sends it from Serving:Worker:PredictionLogs:IngestToken. Before, anyone reaching the
/// ingest port could archive records and move the drift windows.
/// </summary>
public sealed class IngestTokenTests
{
    private const string Token = "drift-ingest-token-0123456789";

    private static readonly Dictionary<string, string?> WithToken = new() { ["Serving:Drift:IngestToken"] = Token };

    [Theory]
    [InlineData(null, "no bearer token")]
    [InlineData("Bearer not-the-token", "wrong bearer token")]
    [InlineData("Basic " + Token, "no bearer token")]
    public async Task StreamWithoutTheToken_Unauthenticated_NothingArchivedOrScored(string? authorization, string reason)
    {
        var logs = new CapturingLoggerProvider();
        await using var drift = await DriftServer.StartAsync(WithToken, tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var headers = authorization is null ? null : new Metadata { { "authorization", authorization } };
        var rows = ReferenceRows.Load("tabular", "1");

        await using (var client = new IngestClient(drift, headers))
        {
            var refused = await RefusedAsync(client, Batches.ReferenceBatch(rows, new Random(1), 10, "intruder"));

            Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, refused.StatusCode);
            Assert.StartsWith(reason, refused.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("Serving:Worker:PredictionLogs:IngestToken", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(IngestTrailers.True, refused.Trailers.GetValue(IngestTrailers.NotArchived));
        }

        var line = Assert.Single(logs.Entries, e => e.Message.Contains(" refused: ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains(reason, line.Message, StringComparison.Ordinal);
        Assert.Equal(0, drift.Monitor.Received);
        Assert.Equal(0, drift.Monitor.Archived);
        Assert.Empty(drift.ArchivedLines());
        Assert.Equal(0, drift.Version("tabular", "1").Window.Count);
        Assert.Equal(0, drift.Monitor.Rejected);
    }

    [Theory]
    [InlineData("Bearer " + Token)]
    [InlineData("bearer " + Token)]
    public async Task StreamWithTheToken_Archived(string authorization)
    {
        await using var drift = await DriftServer.StartAsync(WithToken);
        var rows = ReferenceRows.Load("tabular", "1");

        await using (var client = new IngestClient(drift, new Metadata { { "authorization", authorization } }))
        {
            Assert.Equal(10, (await client.SendAsync(Batches.ReferenceBatch(rows, new Random(2), 10, "worker"))).Accepted);
        }

        Assert.Equal(10, drift.ArchivedLines().Count);
    }

    [Fact]
    public async Task NoTokenConfigured_IngestIsOpen()
    {
        await using var drift = await DriftServer.StartAsync();
        var rows = ReferenceRows.Load("tabular", "1");

        await using (var client = new IngestClient(drift))
        {
            Assert.Equal(3, (await client.SendAsync(Batches.ReferenceBatch(rows, new Random(3), 3, "open"))).Accepted);
        }

        Assert.Equal(3, drift.ArchivedLines().Count);
    }

    [Fact]
    public async Task WorkerWithTheToken_ShipsRecordsEndToEnd()
    {
        await using var drift = await DriftServer.StartAsync(WithToken);
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:IngestToken"] = Token,
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
        });
        var stats = worker.Service<PredictionLogStats>();
        var rows = ReferenceRows.Load("tabular", "1");

        await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(new Random(4), 20)));

        await Eventually.TrueAsync(() => stats.Acked == 20, "the worker's 20 records acknowledged");
        Assert.Equal(20, drift.Monitor.Archived);
        Assert.Equal(20, drift.ArchivedLines().Count);
    }

    /// <summary>
    /// A worker without the monitor's token: one error naming the setting to fix, the records held (never counted lost);
    /// once the monitor takes the stream (here: restarted without a token, on the same
    /// port) the held records are archived.
    /// </summary>
    [Fact]
    public async Task WorkerWithoutTheToken_LogsWhatToSet_HoldsTheRecords_DeliversThemOnceLetIn()
    {
        var drift = await DriftServer.StartAsync(WithToken);
        var port = drift.GrpcPort;
        var logs = new CapturingLoggerProvider();
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(
            repository.Path,
            new Dictionary<string, string?>
            {
                ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
                ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
                ["Serving:Worker:PredictionLogs:ReconnectBackoffMin"] = "00:00:00.010",
                ["Serving:Worker:PredictionLogs:ReconnectBackoffMax"] = "00:00:00.300",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var stats = worker.Service<PredictionLogStats>();
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(6);
        DriftServer? open = null;
        try
        {
            await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(random, 20)));

            // Several refusals in a row: the records are held across them, never counted lost.
            await Eventually.TrueAsync(() => stats.Reconnects >= 3, "the worker retrying its refused stream");
            Assert.Equal(20, stats.Enqueued);
            Assert.Equal(0, stats.Acked);
            Assert.Equal(0, stats.Lost);
            Assert.Equal(0, drift.Monitor.Archived);

            var refusals = logs.Entries.Where(e => e.Message.Contains("UNAUTHENTICATED", StringComparison.Ordinal)).ToArray();
            var everyLine = string.Join("\n", logs.Entries.Select(e => $"{e.Level} {e.Category}: {e.Message}"));
            Assert.True(refusals.Length == 1, everyLine);
            var refusal = refusals[0];
            Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(" broke ", StringComparison.Ordinal));
            Assert.Equal(LogLevel.Error, refusal.Level);
            Assert.Contains("Set Serving:Worker:PredictionLogs:IngestToken to the monitor's Serving:Drift:IngestToken", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("no bearer token", refusal.Message, StringComparison.Ordinal);

            await drift.DisposeAsync();
            open = await DriftServer.StartAsync(grpcPort: port);
            await Eventually.TrueAsync(() => stats.Acked == 20, "the held records archived once the monitor lets the worker in");
            Assert.Equal(0, stats.Lost);
            Assert.Equal(20, open.ArchivedLines().Count);
        }
        finally
        {
            await drift.DisposeAsync();
            if (open is not null)
            {
                await open.DisposeAsync();
            }
        }
    }

    // The monitor ends the call before reading: the write may already find it over (Cancelled); the call's status is the monitor's.
    private static async Task<RpcException> RefusedAsync(IngestClient client, PredictionLogBatch batch)
    {
        batch.Sequence = client.NextSequence();
        try
        {
            await client.Call.RequestStream.WriteAsync(batch);
        }
        catch (RpcException)
        {
            // Ended already.
        }

        return await Assert.ThrowsAsync<RpcException>(() => client.Call.ResponseStream.MoveNext(CancellationToken.None));
    }
}
