namespace Serving.Hosting.Http;

/// <summary>How .NET's decoders say that compressed bytes are not valid for their encoding, each its own way.</summary>
public static class CompressedData
{
    /// <summary>
    /// True when <paramref name="exception"/> is a decoder's word for bytes it can't inflate: gzip's and deflate's
    /// InvalidDataException; zlib's ZLibException (an internal IOException) for what it won't take, such as a zlib header
    /// that asks for a preset dictionary; Brotli's InvalidOperationException. An IOException of the stream read from (a
    /// caller gone) is not: only what the decoders of System.IO.Compression throw themselves counts.
    /// </summary>
    public static bool IsNotValid(Exception exception) =>
        exception is InvalidDataException
        || (exception is IOException or InvalidOperationException && exception.TargetSite?.DeclaringType?.Namespace == "System.IO.Compression");
}
