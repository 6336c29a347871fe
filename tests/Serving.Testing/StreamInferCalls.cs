using Grpc.Core;
using Serving.Protocol.Inference;

namespace Serving.Testing;

/// <summary>ModelStreamInfer helpers the worker's and the gateway's tests share.</summary>
public static class StreamInferCalls
{
    private static readonly Marshaller<byte[]> Bytes = new(b => b, b => b);

    private static readonly Method<byte[], byte[]> RawMethod =
        new(MethodType.DuplexStreaming, "inference.GRPCInferenceService", "ModelStreamInfer", Bytes, Bytes);

    /// <summary>Every answer until the server ends the stream (an error status throws its <see cref="RpcException"/>).</summary>
    public static async Task<List<ModelStreamInferResponse>> ReadAllAsync(AsyncDuplexStreamingCall<ModelInferRequest, ModelStreamInferResponse> call)
    {
        var answers = new List<ModelStreamInferResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync())
        {
            answers.Add(answer);
        }

        return answers;
    }

    /// <summary>A stream that sends hand-made bytes as messages (what a broken or hostile client could send).</summary>
    public static AsyncDuplexStreamingCall<byte[], byte[]> OpenRaw(CallInvoker invoker, CallOptions options = default) =>
        invoker.AsyncDuplexStreamingCall(RawMethod, null, options);
}
