using Serving.Protocol.Errors;

namespace Serving.Gateway.Routing;

/// <summary>Why the gateway answered a request itself; carries the protocol's error code and a caller-safe message.</summary>
internal sealed record RouteError(InferenceErrorCode Code, string Message)
{
    public static RouteError UnknownModel(ReadOnlySpan<char> model) => new(InferenceErrorCode.NotFound, $"unknown model '{Names.Printable(model)}'");

    public static RouteError UnknownVersion(string model, ReadOnlySpan<char> version) =>
        new(InferenceErrorCode.NotFound, $"model '{model}' has no version '{Names.Printable(version)}'");

    public static RouteError NoReadyWorker(string model, string version) =>
        new(InferenceErrorCode.Unavailable, $"model '{model}' version {version} has no ready worker");

    public static RouteError Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);

    public int HttpStatus => new InferenceException(Code, Message).HttpStatus;

    public Grpc.Core.StatusCode GrpcStatus => new InferenceException(Code, Message).GrpcStatus;
}
