using Grpc.Core;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>Opens the Ingest stream to the drift monitor (a seam so the sender can be tested without sockets).</summary>
/// <remarks>
/// The stream's requests are <see cref="PendingBatch"/>es, written as the <see cref="PredictionLogBatch"/> bytes they
/// already hold (<see cref="IngestMethod"/>); the monitor reads them as the generated message.
/// </remarks>
internal interface IPredictionLogTransport
{
    /// <summary>Starts one bidirectional Ingest call; it fails on first use if the monitor can't be reached.</summary>
    AsyncDuplexStreamingCall<PendingBatch, IngestAck> Open(CancellationToken cancellationToken);
}
