using Grpc.Core;

namespace Serving.LoadTests.Targets;

/// <summary>
/// <c>/inference.GRPCInferenceService/ModelInfer</c> with marshallers that send bytes serialized once and
/// skip parsing the answer: the hot loop then costs only what Grpc.Net.Client itself allocates.
/// </summary>
internal static class PreserializedInferMethod
{
    /// <summary>The method descriptor.</summary>
    public static readonly Method<byte[], ResponseSink> ModelInfer = new(
        MethodType.Unary,
        "inference.GRPCInferenceService",
        "ModelInfer",
        Marshallers.Create<byte[]>(static (payload, context) => context.Complete(payload), static context => context.PayloadAsNewBuffer()),
        Marshallers.Create<ResponseSink>(static (_, context) => context.Complete([]), static _ => ResponseSink.Instance));
}
