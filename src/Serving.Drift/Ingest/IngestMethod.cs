using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// <c>PredictionLogService.Ingest</c> as the drift monitor serves it: the method and wire format of the generated
/// service, but a request is read into a pooled <see cref="IngestBatch"/> rather than a tree of message objects.
/// </summary>
internal static class IngestMethod
{
    /// <summary>The method, refusing a batch of more than <paramref name="maxRecords"/> records while it is read.</summary>
    public static Method<IngestBatch, IngestAck> Create(int maxRecords) => new(
        MethodType.DuplexStreaming,
        PredictionLogService.Descriptor.FullName,
        nameof(PredictionLogService.PredictionLogServiceBase.Ingest),
        Marshallers.Create<IngestBatch>(
            static (_, _) => throw new NotSupportedException("the drift monitor only receives batches"),
            context => IngestBatch.Parse(context.PayloadAsReadOnlySequence(), maxRecords)),
        Marshallers.Create<IngestAck>(
            static (ack, context) =>
            {
                context.SetPayloadLength(ack.CalculateSize());
                ack.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            static context => IngestAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>Binds the method to <see cref="PredictionLogIngestService"/> (in place of the generated binder).</summary>
    internal sealed class Provider(IOptions<DriftOptions> options) : IServiceMethodProvider<PredictionLogIngestService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<PredictionLogIngestService> context) =>
            context.AddDuplexStreamingMethod(
                Create(options.Value.MaxRecordsPerBatch), [], static (service, requests, responses, call) => service.Ingest(requests, responses, call));
    }
}
