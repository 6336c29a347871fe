using Serving.LoadTests.Payloads;

namespace Serving.LoadTests.Targets;

/// <summary>Creates the client for a target's protocol.</summary>
internal static class InferClientFactory
{
    /// <summary>A client for <paramref name="callers"/> callers; <paramref name="connections"/> applies to gRPC (HTTP/1.1 uses one per caller).</summary>
    public static IInferClient Create(LoadTarget target, InferPayload payload, int connections, int callers) => target.Protocol switch
    {
        TargetProtocol.Grpc when target.GrpcStream => new StreamInferClient(target.Address, payload, connections, callers),
        TargetProtocol.Grpc => new GrpcInferClient(target.Address, payload, target.GrpcClient, connections, callers),
        TargetProtocol.RestJson => new RestInferClient(target.Address, payload, binary: false, callers),
        _ => new RestInferClient(target.Address, payload, binary: true, callers),
    };
}
