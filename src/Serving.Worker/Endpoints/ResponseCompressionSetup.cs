using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;

namespace Serving.Worker.Endpoints;

/// <summary>
/// REST answers compressed when the caller asks (<c>Accept-Encoding</c>), as Triton's HTTP server does for its clients'
/// <c>response_compression_algorithm</c>: gzip, deflate (zlib's format, RFC 9110) and br, at the fastest level. JSON and
/// binary-extension answers alike; gRPC has its own (<c>grpc-encoding</c>) and is never touched here. A caller that
/// asks for nothing gets the plain answer with its Content-Length, as before.
/// </summary>
internal static class ResponseCompressionSetup
{
    public static IServiceCollection AddServingResponseCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true; // no secrets echoed back into a compressed answer (BREACH needs them)
            o.Providers.Add(new GzipCompressionProvider(new GzipCompressionProviderOptions { Level = CompressionLevel.Fastest }));
            o.Providers.Add<DeflateProvider>();
            o.Providers.Add(new BrotliCompressionProvider(new BrotliCompressionProviderOptions { Level = CompressionLevel.Fastest }));
            o.MimeTypes = ["application/json", "application/octet-stream"];
        });
        return services;
    }

    /// <summary>HTTP's "deflate": zlib's format.</summary>
    private sealed class DeflateProvider : ICompressionProvider
    {
        public string EncodingName => "deflate";

        public bool SupportsFlush => true;

        public Stream CreateStream(Stream outputStream) => new ZLibStream(outputStream, CompressionLevel.Fastest, leaveOpen: true);
    }
}
