namespace Serving.LoadTests.Targets;

/// <summary>What to load: a server on this machine, the protocol, the model and the request to send.</summary>
/// <param name="Address">The server root; must pass <see cref="LoopbackGuard"/>.</param>
/// <param name="Protocol">gRPC or one of the REST forms.</param>
/// <param name="Model">The model name.</param>
/// <param name="ModelVersion">The version, or empty to let the server pick.</param>
/// <param name="InputFile">An OIP JSON infer body whose <c>inputs</c> are sent; null to build random inputs from the model's metadata.</param>
/// <param name="Batch">The first dimension of generated inputs when it is variable (-1).</param>
/// <param name="GrpcClient">Which library carries gRPC calls.</param>
/// <param name="GrpcStream">gRPC: every request on ModelStreamInfer streams (Grpc.Net.Client), not a ModelInfer call each.</param>
internal sealed record LoadTarget(
    Uri Address,
    TargetProtocol Protocol,
    string Model,
    string ModelVersion = "",
    string? InputFile = null,
    int Batch = 1,
    GrpcClientKind GrpcClient = GrpcClientKind.GrpcNet,
    bool GrpcStream = false);
