using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http;

namespace Serving.LoadTests.Targets;

/// <summary>
/// A request body serialized once, reused by one caller for every call: headers are fixed at construction so
/// nothing is computed per send. HttpClient does not dispose request content after sending, so reuse is safe.
/// </summary>
internal sealed class PreserializedContent : HttpContent
{
    private readonly ReadOnlyMemory<byte> _body;

    /// <summary>Wraps <paramref name="body"/>; <paramref name="inferenceHeaderLength"/> adds Triton's binary-extension header.</summary>
    public PreserializedContent(ReadOnlyMemory<byte> body, string contentType, int? inferenceHeaderLength = null)
    {
        _body = body;
        Headers.ContentType = new MediaTypeHeaderValue(contentType);
        Headers.ContentLength = body.Length;
        if (inferenceHeaderLength is { } length)
        {
            Headers.TryAddWithoutValidation("Inference-Header-Content-Length", length.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(_body).AsTask();

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_body, cancellationToken).AsTask();

    /// <inheritdoc />
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.Write(_body.Span);

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = _body.Length;
        return true;
    }
}
