using Grpc.Core;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// <c>PredictionLogService.Ingest</c> as the worker calls it: the same method and wire format as the generated client,
/// but a request is a <see cref="PendingBatch"/> whose bytes are written as they are, with no message objects.
/// </summary>
internal static class IngestMethod
{
    public static readonly Method<PendingBatch, IngestAck> Ingest = new(
        MethodType.DuplexStreaming,
        PredictionLogService.Descriptor.FullName,
        nameof(PredictionLogService.PredictionLogServiceBase.Ingest),
        Marshallers.Create<PendingBatch>(Serialize, static _ => throw new NotSupportedException("the worker only sends batches")),
        Marshallers.Create<IngestAck>(static (_, _) => throw new NotSupportedException("the worker never sends an ack"), static context => IngestAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    private static void Serialize(PendingBatch batch, SerializationContext context)
    {
        context.SetPayloadLength(batch.MessageSize);
        batch.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
