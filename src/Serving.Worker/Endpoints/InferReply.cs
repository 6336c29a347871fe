using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;

namespace Serving.Worker.Endpoints;

/// <summary>
/// What ModelInfer answers: a response in raw output contents, written straight from the
/// <see cref="InferenceResponse"/> by <see cref="GrpcInferResponseWriter"/> when gRPC serializes it (no message
/// objects, the outputs copied once), or a generated <see cref="ModelInferResponse"/> for typed contents.
/// </summary>
/// <remarks>
/// A raw reply owns its response (the outputs' memory) until it is written, then disposes it; the endpoint also
/// registers it for disposal with the request, so a reply that is never written (the call ended first) is disposed
/// then. Disposing twice is harmless.
/// </remarks>
internal sealed class InferReply : IDisposable
{
    private InferenceResponse? _raw;

    private InferReply(InferenceResponse? raw, ModelInferResponse? message)
    {
        _raw = raw;
        Message = message;
    }

    /// <summary>The typed-contents message, or null for a raw reply.</summary>
    public ModelInferResponse? Message { get; }

    /// <summary>The marshaller ModelInfer is bound with.</summary>
    public static Marshaller<InferReply> Marshaller { get; } = new(Serialize, Deserialize);

    /// <summary>A reply in raw output contents; it owns <paramref name="response"/>.</summary>
    public static InferReply Raw(InferenceResponse response) => new(response, null);

    /// <summary>A reply of a generated message.</summary>
    public static InferReply Of(ModelInferResponse message) => new(null, message);

    public void Dispose() => Interlocked.Exchange(ref _raw, null)?.Dispose();

    private static void Serialize(InferReply reply, SerializationContext context)
    {
        if (reply.Message is { } message)
        {
            context.SetPayloadLength(message.CalculateSize());
            Google.Protobuf.MessageExtensions.WriteTo(message, context.GetBufferWriter());
            context.Complete();
            return;
        }

        var response = reply._raw ?? throw new ObjectDisposedException(nameof(InferReply), "the reply was disposed before it was written");
        try
        {
            var size = GrpcInferResponseWriter.Size(response);
            context.SetPayloadLength(size);
            GrpcInferResponseWriter.Write(response, context.GetBufferWriter(), size);
            context.Complete();
        }
        finally
        {
            reply.Dispose();
        }
    }

    // Only a client reads replies (tests, tools): as the generated message.
    private static InferReply Deserialize(DeserializationContext context) =>
        Of(ModelInferResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
