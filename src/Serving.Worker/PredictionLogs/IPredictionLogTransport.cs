using Grpc.Core;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>Opens the Ingest stream to the drift monitor (a seam so the sender can be tested without sockets).</summary>
internal interface IPredictionLogTransport
{
    /// <summary>Starts one bidirectional Ingest call; it fails on first use if the monitor can't be reached.</summary>
    AsyncDuplexStreamingCall<PredictionLogBatch, IngestAck> Open(CancellationToken cancellationToken);
}
