using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;

namespace Serving.Worker.Inference;

/// <summary>
/// What a gateway in front of this worker says about a forwarded request: the model and version it routed the
/// request by, and the traffic arm. A caller that talks to the worker directly sends none of these.
/// </summary>
/// <remarks>
/// The gateway reads a gRPC request's model and version from the leading bytes of the message only. Protobuf lets a
/// field appear more than once (the last wins), so a message could name one model or version up front and another
/// further on; the worker, which decodes all of it, checks that it is about to serve what the gateway routed by.
/// A REST call's path names the model and maybe the version: the gateway routes by the path, sends no model header,
/// and sends its version header only with it, so there a version header that disagrees with the path was set by hand.
/// A ModelStreamInfer stream is routed by its first message, so every message on it must be for that model and version.
/// </remarks>
internal readonly record struct GatewayHints(string? Model, string? Version, string? Arm, bool Rest = false, bool Stream = false)
{
    /// <summary>The header (REST) / metadata key (gRPC) a gateway uses to say which version it routed to.</summary>
    public const string VersionHeader = "x-serving-version";

    /// <summary>The metadata key a gateway uses to say which model it routed a gRPC request by.</summary>
    public const string ModelHeader = "x-serving-model";

    /// <summary>The header / metadata key a gateway uses to name the traffic arm, for the prediction logs.</summary>
    public const string ArmHeader = "x-serving-arm";

    /// <summary>The arm a gateway names for a shadow copy: its answer is thrown away.</summary>
    public const string ShadowArm = "shadow";

    /// <summary>Whether the gateway sent this request as a shadow copy.</summary>
    public bool IsShadow => string.Equals(Arm, ShadowArm, StringComparison.Ordinal);

    /// <summary>The hints of a gRPC call (metadata).</summary>
    public static GatewayHints From(IHeaderDictionary headers) =>
        new(Value(headers, ModelHeader), Value(headers, VersionHeader), Value(headers, ArmHeader));

    /// <summary>The hints of a ModelStreamInfer stream (metadata), which a gateway routed by its first message.</summary>
    public static GatewayHints FromStream(IHeaderDictionary headers) => From(headers) with { Stream = true };

    /// <summary>The hints of a REST call: the path names the model, so a model header is not read.</summary>
    public static GatewayHints FromRest(IHeaderDictionary headers) =>
        new(null, Value(headers, VersionHeader), Value(headers, ArmHeader), Rest: true);

    /// <summary>The version to serve: the one the request names, else the gateway's; a request that names another than the gateway routed to is refused.</summary>
    public string? VersionFor(InferenceRequest request)
    {
        if (Model is { } model && !string.Equals(model, request.ModelName, StringComparison.Ordinal))
        {
            throw InferenceException.Invalid(Stream
                ? $"this stream was routed by its first message to model '{model}' version {Version}: every message on it must be for that model and version; open another stream for model '{request.ModelName}'"
                : $"the gateway routed this request by model_name '{model}' but the message names '{request.ModelName}' (a field repeated further on wins in protobuf): send model_name once");
        }

        if (string.IsNullOrEmpty(request.ModelVersion))
        {
            return Version;
        }

        if (Version is null || string.Equals(Version, request.ModelVersion, StringComparison.Ordinal))
        {
            return request.ModelVersion;
        }

        throw InferenceException.Invalid(Stream
            ? $"this stream was routed by its first message to version {Version} of model '{request.ModelName}': every message on it must be for that version; open another stream for version {request.ModelVersion}"
            : Rest
            ? $"the {VersionHeader} header names version '{Version}' but the path names version '{request.ModelVersion}': a gateway sets that header for a path without a version; leave it out"
            : $"the gateway routed this request to version '{Version}' but the request names version '{request.ModelVersion}' (a field repeated further on wins in protobuf): send model_version once");
    }

    private static string? Value(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value) && value.Count > 0 && value[0] is { Length: > 0 } text ? text : null;
}
