using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Serving.Hosting.Http;

namespace Serving.Gateway.Routing;

/// <summary>
/// The caller's side of a <c>ModelStreamInfer</c> call as YARP sends it to the worker: the request body's bytes as they
/// come, followed through the gRPC length-prefixed framing (a flag byte, a big-endian 4-byte length, the message). Once
/// the gateway's drain begins (readiness's <c>Draining</c>), the upload ends at the next message boundary: the message
/// being sent goes out whole, no later one goes out at all, and the worker, its upload half-closed, answers every message
/// it was sent and ends the call. <see cref="EndedByDrain"/> then says the caller's status is to become UNAVAILABLE
/// (<see cref="ShuttingDown"/>) instead of the worker's OK.
/// </summary>
internal sealed class StreamUpload : ReadOnlyStream
{
    private readonly PipeReader _reader;
    private readonly CancellationToken _draining;
    private readonly CancellationTokenRegistration _wakeOnDrain;
    private readonly byte[] _prefix = new byte[GrpcLeadingFields.FrameHeaderLength];
    private int _prefixFilled;
    private long _messageLeft;

    /// <param name="reader">The caller's request body (read from its first byte: the routing peek consumed nothing).</param>
    /// <param name="draining">Cancelled when the gateway's drain begins.</param>
    public StreamUpload(PipeReader reader, CancellationToken draining)
    {
        _reader = reader;
        _draining = draining;

        // A read waiting for the caller's next message returns (canceled) when the drain begins, so the upload ends then.
        _wakeOnDrain = draining.Register(static state => PipeWake.CancelPendingRead((PipeReader)state!), reader);
    }

    /// <summary>The messages whose first byte went to the worker.</summary>
    public long MessagesSent { get; private set; }

    /// <summary>True when the upload was ended by the gateway's drain, not by the caller.</summary>
    public bool EndedByDrain { get; private set; }

    private bool AtBoundary => _prefixFilled == 0 && _messageLeft == 0;

    /// <summary>The status message a stream ended by the drain gets, <paramref name="sent"/> messages of it having gone to the worker.</summary>
    public static string ShuttingDown(long sent) => sent == 0
        ? "the gateway is shutting down: open a new stream; no request on this stream went to a worker (none ran)"
        : string.Create(
            CultureInfo.InvariantCulture,
            $"the gateway is shutting down: open a new stream; the first {sent} request(s) on this stream went to the worker, which answered them; requests sent after those {sent} did not go to a worker and did not run");

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (EndedByDrain)
        {
            return 0;
        }

        if (buffer.IsEmpty)
        {
            // YARP's zero-byte read, so that an idle stream holds no buffer: returns once there is data (taking none),
            // the caller's side ended, or the drain began.
            var ready = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _reader.AdvanceTo(ready.Buffer.Start);
            return 0;
        }

        while (true)
        {
            if (_draining.IsCancellationRequested && AtBoundary)
            {
                EndedByDrain = true;
                return 0;
            }

            var read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = read.Buffer;
            if (data.IsEmpty && read.IsCompleted)
            {
                _reader.AdvanceTo(data.Start);
                return 0; // the caller ended its side (its stream keeps the worker's status)
            }

            var draining = _draining.IsCancellationRequested;
            if (draining && AtBoundary)
            {
                _reader.AdvanceTo(data.Start);
                EndedByDrain = true;
                return 0;
            }

            if (data.IsEmpty)
            {
                _reader.AdvanceTo(data.Start);
                continue; // woken by the drain mid-message: the rest of the message is still to come
            }

            // Once draining, only the rest of the message being sent goes out.
            var taken = Take(data, buffer.Span, stopAtBoundary: draining);
            _reader.AdvanceTo(data.GetPosition(taken));
            return taken;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the caller's stream is read asynchronously");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _wakeOnDrain.Dispose();
        }

        base.Dispose(disposing);
    }

    // Copies bytes of data into destination as the framing goes (with stopAtBoundary, up to the end of the current
    // message only); returns how many.
    private int Take(ReadOnlySequence<byte> data, Span<byte> destination, bool stopAtBoundary)
    {
        var taken = 0;
        foreach (var segment in data)
        {
            var span = segment.Span;
            while (!span.IsEmpty && taken < destination.Length)
            {
                if (stopAtBoundary && AtBoundary)
                {
                    return taken;
                }

                int n;
                if (_messageLeft > 0)
                {
                    n = (int)Math.Min(_messageLeft, Math.Min(span.Length, destination.Length - taken));
                    _messageLeft -= n;
                }
                else
                {
                    if (_prefixFilled == 0)
                    {
                        MessagesSent++;
                    }

                    n = Math.Min(_prefix.Length - _prefixFilled, Math.Min(span.Length, destination.Length - taken));
                    span[..n].CopyTo(_prefix.AsSpan(_prefixFilled));
                    _prefixFilled += n;
                    if (_prefixFilled == _prefix.Length)
                    {
                        _messageLeft = BinaryPrimitives.ReadUInt32BigEndian(_prefix.AsSpan(1));
                        _prefixFilled = 0;
                    }
                }

                span[..n].CopyTo(destination[taken..]);
                span = span[n..];
                taken += n;
            }

            if (taken == destination.Length)
            {
                break;
            }
        }

        return taken;
    }
}
