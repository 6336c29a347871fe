using Microsoft.AspNetCore.RequestDecompression;

namespace Serving.Hosting.Http;

/// <summary>
/// A request body's <c>Content-Encoding</c> (gzip, deflate or br) inflated by <see cref="CheckedInflateStream"/>, which
/// refuses a body cut short: ASP.NET Core's own providers read it as a shorter body, without an error.
/// </summary>
public sealed class WholeBodyDecompressionProvider : IDecompressionProvider
{
    private readonly string _encoding;

    private WholeBodyDecompressionProvider(string encoding) => _encoding = encoding;

    /// <summary>Puts one in place of ASP.NET Core's provider for each of gzip, deflate and br.</summary>
    public static void Replace(RequestDecompressionOptions options)
    {
        foreach (var encoding in new[] { "gzip", "deflate", "br" })
        {
            options.DecompressionProviders[encoding] = new WholeBodyDecompressionProvider(encoding);
        }
    }

    /// <inheritdoc />
    public Stream GetDecompressionStream(Stream stream) => CheckedInflateStream.Create(stream, _encoding)!;
}
