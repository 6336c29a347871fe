using Serving.Gateway.Routing;

namespace Serving.Gateway.Shadow;

/// <summary>
/// One shadowed request: the buffered body and headers the copy needs (never the HttpContext, which
/// is recycled when the primary ends), the primary's captured answer, and when the primary finished.
/// </summary>
internal sealed class ShadowCopy(GatewayRequest primary, VersionRoute target, byte[] body, string path, string? contentType, string? headerLength, string? bodyEncoding, CapturingStream capture)
{
    private readonly TaskCompletionSource<PrimaryAnswer> _primary = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GatewayRequest Primary { get; } = primary;

    public VersionRoute Target { get; } = target;

    public byte[] Body { get; } = body;

    public string Path { get; } = path;

    public string? ContentType { get; } = contentType;

    public string? InferenceHeaderLength { get; } = headerLength;

    /// <summary>How the caller compressed the body (gRPC's <c>grpc-encoding</c>, REST's <c>Content-Encoding</c>), sent with the copy.</summary>
    public string? BodyEncoding { get; } = bodyEncoding;

    public CapturingStream Capture { get; } = capture;

    public Task<PrimaryAnswer> PrimaryAnswer => _primary.Task;

    /// <summary>
    /// The primary is done: its status (HTTP, and gRPC when it is a gRPC call), whether it was cut off (the caller left, or
    /// the worker broke off an answer that had started: what was captured is then not the whole of it), how its REST answer
    /// was compressed for the caller, and its latency.
    /// </summary>
    public void CompletePrimary(int httpStatus, int? grpcStatus, bool aborted, string? headerLength, string? contentEncoding, double seconds) =>
        _primary.TrySetResult(new PrimaryAnswer(httpStatus, grpcStatus, aborted, headerLength, contentEncoding, seconds));
}

/// <summary>How the primary answered a shadowed request.</summary>
internal readonly record struct PrimaryAnswer(int HttpStatus, int? GrpcStatus, bool Aborted, string? InferenceHeaderLength, string? ContentEncoding, double Seconds);
