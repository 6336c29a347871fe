using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Google.Protobuf;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// <c>PredictionLogService.Ingest</c> as the drift monitor serves it: the method and wire format of the generated
/// service, but a request is read into a pooled <see cref="IngestBatch"/> rather than a tree of message objects.
/// </summary>
internal static class IngestMethod
{
    public static readonly Method<IngestBatch, IngestAck> Ingest = new(
        MethodType.DuplexStreaming,
        PredictionLogService.Descriptor.FullName,
        nameof(PredictionLogService.PredictionLogServiceBase.Ingest),
        Marshallers.Create<IngestBatch>(
            static (_, _) => throw new NotSupportedException("the drift monitor only receives batches"),
            static context => IngestBatch.Parse(context.PayloadAsReadOnlySequence())),
        Marshallers.Create<IngestAck>(
            static (ack, context) =>
            {
                context.SetPayloadLength(ack.CalculateSize());
                ack.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            static context => IngestAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>Binds <see cref="Ingest"/> to <see cref="PredictionLogIngestService"/> (in place of the generated binder).</summary>
    internal sealed class Provider : IServiceMethodProvider<PredictionLogIngestService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<PredictionLogIngestService> context) =>
            context.AddDuplexStreamingMethod(Ingest, [], static (service, requests, responses, call) => service.Ingest(requests, responses, call));
    }
}
