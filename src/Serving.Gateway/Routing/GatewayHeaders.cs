namespace Serving.Gateway.Routing;

/// <summary>The headers the gateway and the worker agree on (the worker's <c>InferenceService</c> constants).</summary>
internal static class GatewayHeaders
{
    /// <summary>Request header / metadata: the version the gateway chose, honoured by the worker when the request names none.</summary>
    public const string ChosenVersion = "x-serving-version";

    /// <summary>Request header / metadata: the traffic arm, for the prediction logs.</summary>
    public const string Arm = "x-serving-arm";

    /// <summary>Response header / metadata: the version that served the request.</summary>
    public const string ServedVersion = "x-serving-model-version";

    /// <summary>Triton's binary tensor extension: where the JSON part of a body ends.</summary>
    public const string InferenceHeaderContentLength = "Inference-Header-Content-Length";

    public const string GrpcInferPath = "/inference.GRPCInferenceService/ModelInfer";
}
