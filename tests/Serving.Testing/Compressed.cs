using System.IO.Compression;

namespace Serving.Testing;

/// <summary>Bytes compressed as an HTTP or gRPC client compresses them: gzip, deflate (zlib's format) or br.</summary>
public static class Compressed
{
    /// <summary>
    /// <paramref name="data"/> compressed in <paramref name="encoding"/>; with <paramref name="close"/> false, what the
    /// compressor gave after a flush, before it was closed: every byte of the data, not the stream's end.
    /// </summary>
    public static byte[] Of(byte[] data, string encoding, bool close = true)
    {
        using var output = new MemoryStream();
        byte[] flushed;
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => throw new ArgumentException($"no compressor for '{encoding}'", nameof(encoding)),
        })
        {
            compressor.Write(data);
            compressor.Flush();
            flushed = output.ToArray();
        }

        return close ? output.ToArray() : flushed;
    }
}
