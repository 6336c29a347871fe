using System.IO.Compression;
using Grpc.Net.Compression;

namespace Serving.Hosting.Http;

/// <summary>
/// A grpc-dotnet compression provider (<c>grpc-encoding</c>) whose decoder refuses a message cut short
/// (<see cref="CheckedInflateStream"/>): .NET's took it for a shorter message, and a protobuf message cut between two
/// fields parses, so a batch cut between two records read as a smaller batch. Compressing is the inner provider's.
/// </summary>
public sealed class WholeMessageCompressionProvider(ICompressionProvider inner) : ICompressionProvider
{
    /// <summary>gzip and deflate (zlib's format, as gRPC means it), the two grpc-dotnet offers by default.</summary>
    public static IList<ICompressionProvider> Defaults() =>
    [
        new WholeMessageCompressionProvider(new GzipCompressionProvider(CompressionLevel.Fastest)),
        new WholeMessageCompressionProvider(new DeflateCompressionProvider(CompressionLevel.Fastest)),
    ];

    /// <inheritdoc />
    public string EncodingName => inner.EncodingName;

    /// <inheritdoc />
    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) => inner.CreateCompressionStream(stream, compressionLevel);

    /// <inheritdoc />
    public Stream CreateDecompressionStream(Stream stream) =>
        CheckedInflateStream.Create(stream, inner.EncodingName) ?? inner.CreateDecompressionStream(stream);
}
