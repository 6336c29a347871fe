using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace Serving.Worker.Endpoints;

/// <summary>
/// gRPC message compression (<c>grpc-encoding</c>) as grpc-dotnet's own providers do it, except that a message that
/// is not valid for its encoding is INVALID_ARGUMENT saying so. grpc-dotnet lets the decoder's exception (CompressedData)
/// escape, which answers UNKNOWN "Exception was thrown by handler." and logs an error for a client's mistake.
/// </summary>
internal sealed class CheckedCompressionProvider(ICompressionProvider inner, string description) : ICompressionProvider
{
    /// <summary>gzip and deflate (zlib's format, as gRPC means it), the two grpc-dotnet offers by default.</summary>
    public static IList<ICompressionProvider> Defaults() =>
    [
        new CheckedCompressionProvider(new GzipCompressionProvider(CompressionLevel.Fastest), "gzip"),
        new CheckedCompressionProvider(new DeflateCompressionProvider(CompressionLevel.Fastest), "deflate (zlib) data"),
    ];

    /// <inheritdoc />
    public string EncodingName => inner.EncodingName;

    /// <inheritdoc />
    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) => inner.CreateCompressionStream(stream, compressionLevel);

    /// <inheritdoc />
    public Stream CreateDecompressionStream(Stream stream) => new CheckedStream(inner.CreateDecompressionStream(stream), description);

    private sealed class CheckedStream(Stream inner, string description) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception e) when (Serving.Hosting.Http.CompressedData.IsNotValid(e))
            {
                throw NotValid();
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Serving.Hosting.Http.CompressedData.IsNotValid(e))
            {
                throw NotValid();
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private RpcException NotValid() => new(new Status(StatusCode.InvalidArgument, $"the message is not valid {description}"));
    }
}
