using Serving.Protocol.Errors;

namespace Serving.Gateway.Routing;

/// <summary>Why the gateway answered a request itself; carries the protocol's error code and a caller-safe message.</summary>
internal sealed record RouteError(InferenceErrorCode Code, string Message, int? HttpStatusOverride = null)
{
    /// <summary>413 / RESOURCE_EXHAUSTED: the body is over the gateway's <c>MaxRequestBytes</c> (not 429: waiting won't help).</summary>
    public static RouteError TooLarge(long limit, string what = "request body") =>
        new(InferenceErrorCode.ResourceExhausted, $"the {what} is over the {limit} bytes allowed (Serving:Gateway:MaxRequestBytes)", 413);

    public static RouteError UnknownModel(ReadOnlySpan<char> model) => new(InferenceErrorCode.NotFound, $"unknown model '{Names.Printable(model)}'");

    public static RouteError UnknownVersion(string model, ReadOnlySpan<char> version) =>
        new(InferenceErrorCode.NotFound, $"model '{model}' has no version '{Names.Printable(version)}'");

    public static RouteError NoReadyWorker(string model, string version) =>
        new(InferenceErrorCode.Unavailable, $"model '{model}' version {version} has no ready worker");

    public static RouteError NoReadyWorker(VersionRoute version) => new(InferenceErrorCode.Unavailable, version.NoReadyWorkerMessage());

    /// <summary>A model none of whose versions is ready, with what its workers said of them (<see cref="ModelRoute.NoReadyVersionMessage"/>).</summary>
    public static RouteError NoReadyVersion(ModelRoute model) => new(InferenceErrorCode.Unavailable, model.NoReadyVersionMessage(string.Empty));

    public static RouteError Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);

    /// <summary>UNIMPLEMENTED with <c>grpc-accept-encoding</c>, the gRPC spec's answer to a message compressed in an encoding the server lacks.</summary>
    public static RouteError UnsupportedEncoding(string message, string acceptEncoding) =>
        new(InferenceErrorCode.Unimplemented, message) { AcceptEncoding = acceptEncoding };

    /// <summary>What a gRPC answer lists in <c>grpc-accept-encoding</c>, if anything.</summary>
    public string? AcceptEncoding { get; init; }

    public int HttpStatus => new InferenceException(Code, Message, HttpStatusOverride).HttpStatus;

    public Grpc.Core.StatusCode GrpcStatus => new InferenceException(Code, Message).GrpcStatus;
}
