using Microsoft.Extensions.Primitives;

namespace Serving.Hosting.Http;

/// <summary>
/// A REST body's transfer codings. Kestrel takes any codings before a final <c>chunked</c> and undoes only the chunks,
/// so a body sent <c>Transfer-Encoding: gzip, chunked</c> would be read as it came (and a proxy hop drops the header,
/// so the next one never knows). The worker and the gateway refuse such a body: RFC 9112 §6.1's 501.
/// </summary>
public static class TransferCodings
{
    /// <summary>Whether <paramref name="transfer"/> (the request's Transfer-Encoding) is none, or <c>chunked</c> alone.</summary>
    public static bool AreSupported(StringValues transfer) =>
        transfer.Count == 0 || transfer.Count == 1 && transfer[0].AsSpan().Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase);

    /// <summary>What a caller is told of a body in other transfer codings (<paramref name="transfer"/>, cut past 100 characters).</summary>
    public static string NotSupported(string transfer) =>
        $"Transfer-Encoding '{(transfer.Length > 100 ? transfer[..100] + "…" : transfer)}' is not supported: send the body chunked alone or with a Content-Length (Content-Encoding compresses it)";
}
