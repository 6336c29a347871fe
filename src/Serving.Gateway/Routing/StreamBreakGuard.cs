using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Serving.Gateway.Routing;

/// <summary>
/// Around a <c>ModelStreamInfer</c> call forwarded through YARP. When the worker's side breaks off before its trailers
/// are read (its connection dropped, or closed while the gateway's upload to it was still open), YARP resets the
/// caller's stream with CANCEL, which a gRPC client reads as its own cancellation. The guard holds that reset back and
/// follows the gRPC message framing of what went to the caller: when the caller has whole messages only, the gateway
/// ends the stream itself with <see cref="Grpc.Core.StatusCode.Unavailable"/> (<see cref="EndBrokenAsync"/>), as a
/// worker that shuts down does; otherwise the stream is reset (<see cref="PassReset"/>), INTERNAL_ERROR when the
/// worker broke off mid-message.
/// </summary>
internal sealed class StreamBreakGuard : IHttpResetFeature, IHttpResponseBodyFeature
{
    // HTTP/2's INTERNAL_ERROR (RFC 9113 section 7).
    private const int InternalError = 0x2;

    private readonly IHttpResetFeature? _reset;
    private readonly IHttpResponseBodyFeature _body;
    private readonly FramingStream _stream;
    private PipeWriter? _writer;

    private StreamBreakGuard(IHttpResetFeature? reset, IHttpResponseBodyFeature body)
    {
        _reset = reset;
        _body = body;
        _stream = new FramingStream(body.Stream);
    }

    /// <summary>The HTTP/2 error code a reset was asked with, if one was.</summary>
    public int? HeldReset { get; private set; }

    /// <summary>True when what went to the caller ends on a whole gRPC message.</summary>
    public bool AtMessageBoundary => _stream.AtBoundary;

    Stream IHttpResponseBodyFeature.Stream => _stream;

    PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));

    /// <summary>Puts a guard in front of the call's reset and response body; <see cref="Remove"/> puts the originals back.</summary>
    public static StreamBreakGuard Install(HttpContext context)
    {
        var guard = new StreamBreakGuard(context.Features.Get<IHttpResetFeature>(), context.Features.GetRequiredFeature<IHttpResponseBodyFeature>());
        context.Features.Set<IHttpResetFeature>(guard);
        context.Features.Set<IHttpResponseBodyFeature>(guard);
        return guard;
    }

    public void Remove(HttpContext context)
    {
        context.Features.Set(_reset);
        context.Features.Set(_body);
    }

    void IHttpResetFeature.Reset(int errorCode) => HeldReset ??= errorCode;

    /// <summary>Resets the caller's stream as it was asked to, when it was (aborts the call where resets are not supported, as YARP does).</summary>
    public void PassReset(HttpContext context)
    {
        if (HeldReset is { } code)
        {
            if (_reset is not null)
            {
                _reset.Reset(code);
            }
            else
            {
                context.Abort();
            }
        }
    }

    /// <summary>
    /// The worker's side broke off: ends the caller's stream with <paramref name="status"/> (UNAVAILABLE unless said) and
    /// <paramref name="reason"/> in its trailers instead of the held reset, when the caller has whole messages only.
    /// Otherwise the reset that goes through is INTERNAL_ERROR, which a gRPC client reads as INTERNAL, not CANCEL (its own
    /// cancellation, as YARP's reset reads); false then.
    /// </summary>
    public async Task<bool> EndBrokenAsync(HttpContext context, string reason, Grpc.Core.StatusCode status = Grpc.Core.StatusCode.Unavailable)
    {
        if (!AtMessageBoundary || !context.Response.HasStarted
            || context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is not { IsReadOnly: false } trailers)
        {
            HeldReset = InternalError;
            return false;
        }

        trailers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        trailers["grpc-message"] = GatewayErrors.PercentEncode(reason);
        await ((IHttpResponseBodyFeature)this).CompleteAsync().ConfigureAwait(false);
        HeldReset = null;
        return true;
    }

    void IHttpResponseBodyFeature.DisableBuffering() => _body.DisableBuffering();

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken) => _body.StartAsync(cancellationToken);

    Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken) =>
        throw new NotSupportedException("a gRPC stream's answer is not a file");

    async Task IHttpResponseBodyFeature.CompleteAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }

        await _body.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Writes through to the caller's response and follows the gRPC length-prefixed framing of what it wrote.</summary>
    private sealed class FramingStream(Stream inner) : Stream
    {
        private readonly byte[] _prefix = new byte[5];
        private int _prefixFilled;
        private long _messageLeft;

        public bool AtBoundary => _prefixFilled == 0 && _messageLeft == 0;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the caller's response is written asynchronously");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Follow(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => throw new NotSupportedException("the caller's response is flushed asynchronously");

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        // Each message: a compressed flag byte and a big-endian 4-byte length, then that many bytes.
        private void Follow(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_messageLeft > 0)
                {
                    var skipped = (int)Math.Min(_messageLeft, data.Length);
                    _messageLeft -= skipped;
                    data = data[skipped..];
                    continue;
                }

                var taken = Math.Min(_prefix.Length - _prefixFilled, data.Length);
                data[..taken].CopyTo(_prefix.AsSpan(_prefixFilled));
                _prefixFilled += taken;
                data = data[taken..];
                if (_prefixFilled == _prefix.Length)
                {
                    _messageLeft = BinaryPrimitives.ReadUInt32BigEndian(_prefix.AsSpan(1));
                    _prefixFilled = 0;
                }
            }
        }
    }
}
