using Grpc.Core;
using Grpc.Net.Client;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>A raw gRPC client of the monitor's Ingest stream, for hand-made batches.</summary>
internal sealed class IngestClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<PredictionLogBatch, IngestAck> _call;
    private ulong _sequence;

    /// <param name="drift">The monitor.</param>
    /// <param name="headers">The call's request headers (an <c>authorization</c> bearer token, say).</param>
    public IngestClient(DriftServer drift, Metadata? headers = null)
    {
        _channel = GrpcChannel.ForAddress(drift.Endpoint);
        _call = new PredictionLogService.PredictionLogServiceClient(_channel).Ingest(headers);
    }

    public AsyncDuplexStreamingCall<PredictionLogBatch, IngestAck> Call => _call;

    /// <summary>Free slots for pipelined sends (16, the worker's default window).</summary>
    public SemaphoreSlim Acked { get; } = new(16, 16);

    public ulong NextSequence() => ++_sequence;

    /// <summary>Sends a batch (numbered here) and waits for its ack.</summary>
    public async Task<IngestAck> SendAsync(PredictionLogBatch batch)
    {
        batch.Sequence = ++_sequence;
        await _call.RequestStream.WriteAsync(batch);
        Assert.True(await _call.ResponseStream.MoveNext(CancellationToken.None), "the stream ended without an ack");
        var ack = _call.ResponseStream.Current;
        Assert.Equal(batch.Sequence, ack.Sequence);
        return ack;
    }

    /// <summary>Sends a batch and expects the monitor to end the stream instead of acknowledging it.</summary>
    public async Task<RpcException> SendExpectingFailureAsync(PredictionLogBatch batch)
    {
        batch.Sequence = ++_sequence;
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await _call.RequestStream.WriteAsync(batch);
            await _call.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // Already ended by the monitor.
        }

        _call.Dispose();
        _channel.Dispose();
        Acked.Dispose();
    }
}
