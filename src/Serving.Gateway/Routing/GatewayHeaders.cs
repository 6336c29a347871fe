namespace Serving.Gateway.Routing;

/// <summary>The headers the gateway and the worker agree on (the worker's <c>GatewayHints</c> and <c>InferenceService</c> constants).</summary>
internal static class GatewayHeaders
{
    /// <summary>
    /// Request header / metadata: the version the gateway routed to, on every forwarded request. The worker serves it
    /// when the request names none, and refuses a request that names another (the worker's <c>GatewayHints</c>).
    /// </summary>
    public const string ChosenVersion = "x-serving-version";

    /// <summary>gRPC request metadata: the model_name the gateway routed by; the worker refuses a message that ends up naming another.</summary>
    public const string RoutedModel = "x-serving-model";

    /// <summary>Request header / metadata: the traffic arm, for the prediction logs.</summary>
    public const string Arm = "x-serving-arm";

    /// <summary>Response header / metadata: the version that served the request.</summary>
    public const string ServedVersion = "x-serving-model-version";

    /// <summary>Triton's binary tensor extension: where the JSON part of a body ends.</summary>
    public const string InferenceHeaderContentLength = "Inference-Header-Content-Length";

    /// <summary>gRPC's request header naming the message compression (<c>gzip</c>, or <c>identity</c> for none).</summary>
    public const string GrpcEncoding = "grpc-encoding";

    /// <summary>REST's request header naming the body compression (gzip, deflate, br), which the worker inflates.</summary>
    public const string ContentEncoding = "Content-Encoding";

    public const string GrpcInferPath = "/inference.GRPCInferenceService/ModelInfer";

    /// <summary>Triton's streaming infer, routed by its first message.</summary>
    public const string GrpcStreamInferPath = "/inference.GRPCInferenceService/ModelStreamInfer";
}
