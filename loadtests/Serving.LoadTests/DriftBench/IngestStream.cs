using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Generator;
using Serving.Protocol.PredictionLogs;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// One Ingest stream driven as fast as the sidecar acknowledges: up to <c>window</c> batches in flight (as the
/// worker's sender keeps them), acks read as they come and checked against the sequence sent.
/// </summary>
internal static class IngestStream
{
    /// <summary>How long acks of batches already sent may take once the window has ended.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Sends until <paramref name="meter"/> stops, then waits for the outstanding acks and closes the stream.</summary>
    /// <exception cref="RpcException">The sidecar ended the stream.</exception>
    /// <exception cref="LoadTestException">The sidecar acknowledged out of order, or left batches unacknowledged.</exception>
    public static async Task RunAsync(
        GrpcChannel channel, byte[][] bodies, int recordsPerBatch, int window, IngestMeter meter, CancellationToken cancellationToken)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(IngestFrame.Method, null, new CallOptions(cancellationToken: stream.Token));
        using var slots = new SemaphoreSlim(window, window);
        var inFlight = new ConcurrentQueue<(ulong Sequence, long SentAt)>();
        var reading = ReadAcksAsync(call.ResponseStream, inFlight, slots, meter, stream);
        try
        {
            await SendAsync(call, bodies, recordsPerBatch, slots, inFlight, meter, stream.Token);

            // Every batch sent is acknowledged before the stream closes, so the archive can be checked against the acks.
            stream.CancelAfter(DrainTimeout);
            while (!inFlight.IsEmpty && !reading.IsCompleted)
            {
                await Task.WhenAny(reading, Task.Delay(5, stream.Token));
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (OperationCanceledException) when (reading.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            // The ack reader ended the stream: its exception (awaited below) says why.
        }
        finally
        {
            await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await reading;
        if (!inFlight.IsEmpty)
        {
            throw new LoadTestException($"the sidecar left {inFlight.Count} batch(es) unacknowledged (closed the stream, or no ack within {DrainTimeout.TotalSeconds:0} s)");
        }
    }

    private static async Task SendAsync(
        AsyncDuplexStreamingCall<IngestFrame, IngestAck> call,
        byte[][] bodies,
        int recordsPerBatch,
        SemaphoreSlim slots,
        ConcurrentQueue<(ulong Sequence, long SentAt)> inFlight,
        IngestMeter meter,
        CancellationToken cancellationToken)
    {
        ulong sequence = 0;
        while (!meter.Stopped)
        {
            await slots.WaitAsync(cancellationToken);
            if (meter.Stopped)
            {
                return;
            }

            var frame = new IngestFrame(bodies[(int)(sequence % (ulong)bodies.Length)], ++sequence, recordsPerBatch);
            inFlight.Enqueue((frame.Sequence, Timestamps.Now));
            await call.RequestStream.WriteAsync(frame, cancellationToken);
        }
    }

    private static async Task ReadAcksAsync(
        IAsyncStreamReader<IngestAck> acks, ConcurrentQueue<(ulong Sequence, long SentAt)> inFlight, SemaphoreSlim slots, IngestMeter meter, CancellationTokenSource stream)
    {
        try
        {
            await ReadAllAsync(acks, inFlight, slots, meter, stream.Token);
        }
        finally
        {
            // Wakes the sender (waiting for a slot or writing) when the stream ends.
            await stream.CancelAsync();
        }
    }

    private static async Task ReadAllAsync(
        IAsyncStreamReader<IngestAck> acks, ConcurrentQueue<(ulong Sequence, long SentAt)> inFlight, SemaphoreSlim slots, IngestMeter meter, CancellationToken cancellationToken)
    {
        while (await acks.MoveNext(cancellationToken))
        {
            var ack = acks.Current;
            if (!inFlight.TryDequeue(out var sent) || sent.Sequence != ack.Sequence)
            {
                throw new LoadTestException($"the sidecar acknowledged batch {ack.Sequence}, but batch {sent.Sequence} was the oldest unacknowledged one");
            }

            meter.OnAck(ack.Accepted, ack.Rejected, sent.SentAt, Timestamps.Now);
            slots.Release();
        }
    }
}
