namespace Serving.LoadTests.Targets;

/// <summary>How the generator talks to the target.</summary>
internal enum TargetProtocol
{
    /// <summary>OIP gRPC <c>ModelInfer</c> over h2c, raw tensor contents.</summary>
    Grpc,

    /// <summary>REST <c>POST /v2/models/{m}/infer</c> over HTTP/1.1 with JSON <c>data</c> arrays.</summary>
    RestJson,

    /// <summary>REST over HTTP/1.1 with Triton's binary tensor extension for inputs and outputs.</summary>
    RestBinary,
}
