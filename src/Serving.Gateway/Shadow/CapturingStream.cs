using System.Buffers;

namespace Serving.Gateway.Shadow;

/// <summary>
/// Wraps the response body of a shadowed request: every write goes to the caller unchanged and a
/// copy of the first <c>limit</c> bytes is kept to compare with the shadow's answer.
/// </summary>
/// <remarks>
/// A flush before the first write is not passed on. The body writer over this stream flushes it when the response
/// completes, and a flush starts the response: an answer with no body (a gRPC error, grpc-status among the headers)
/// would then leave as HEADERS and an empty DATA frame ending the stream instead of one HEADERS frame ending it, which
/// grpcio (Triton's and KServe's Python clients) reads as UNKNOWN "Stream removed".
/// </remarks>
internal sealed class CapturingStream(Stream inner, int limit) : Stream
{
    private readonly ArrayBufferWriter<byte> _copy = new(4096);
    private bool _written;

    /// <summary>True when the response was longer than the limit (no comparison then).</summary>
    public bool Overflowed { get; private set; }

    public ReadOnlyMemory<byte> Captured => _copy.WrittenMemory;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
        if (_written)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _written ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Keep(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Keep(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        _written |= data.Length > 0;
        if (Overflowed)
        {
            return;
        }

        if (_copy.WrittenCount + data.Length > limit)
        {
            Overflowed = true;
            return;
        }

        _copy.Write(data);
    }
}
