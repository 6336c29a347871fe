using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;
using Serving.Hosting.Http;

namespace Serving.Worker.Endpoints;

/// <summary>
/// gRPC message compression (<c>grpc-encoding</c>) as grpc-dotnet's own providers do it, except that a message that
/// is not valid for its encoding is INVALID_ARGUMENT saying so. grpc-dotnet lets the decoder's exception (CompressedData)
/// escape, which answers UNKNOWN "Exception was thrown by handler." and logs an error for a client's mistake; and its
/// decoders took a message cut short for a shorter one (<see cref="WholeMessageCompressionProvider"/>).
/// </summary>
internal sealed class CheckedCompressionProvider(ICompressionProvider inner, string description) : ICompressionProvider
{
    /// <summary>gzip and deflate (zlib's format, as gRPC means it), the two grpc-dotnet offers by default.</summary>
    public static IList<ICompressionProvider> Defaults() =>
    [
        .. WholeMessageCompressionProvider.Defaults().Select(p => new CheckedCompressionProvider(p, p.EncodingName == "deflate" ? "deflate (zlib) data" : p.EncodingName)),
    ];

    /// <inheritdoc />
    public string EncodingName => inner.EncodingName;

    /// <inheritdoc />
    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) => inner.CreateCompressionStream(stream, compressionLevel);

    /// <inheritdoc />
    public Stream CreateDecompressionStream(Stream stream) => new CheckedStream(inner.CreateDecompressionStream(stream), description);

    private sealed class CheckedStream(Stream inner, string description) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception e) when (CompressedData.IsNotValid(e))
            {
                throw NotValid(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (CompressedData.IsNotValid(e))
            {
                throw NotValid(e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private RpcException NotValid(Exception e) => new(new Status(
            StatusCode.InvalidArgument,
            CheckedInflateStream.Reason(e) is { } reason ? $"the message is not valid {description}: {reason}" : $"the message is not valid {description}"));
    }
}
