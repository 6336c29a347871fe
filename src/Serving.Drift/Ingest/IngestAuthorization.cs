using Grpc.Core;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Hosting.Http;
using Serving.Hosting.Logging;

namespace Serving.Drift.Ingest;

/// <summary>The ingest stream's bearer token check (<see cref="DriftOptions.IngestToken"/>); everyone is let in without one.</summary>
internal sealed class IngestAuthorization(IOptions<DriftOptions> options)
{
    private const string Header = "authorization";

    private readonly BearerToken? _token = string.IsNullOrEmpty(options.Value.IngestToken) ? null : new BearerToken(options.Value.IngestToken);
    private readonly LogGate _log = new(TimeSpan.FromSeconds(30));

    /// <summary>Null when the call may stream; else why not (missing or wrong token), for the caller.</summary>
    public string? Refusal(ServerCallContext context)
    {
        if (_token is null)
        {
            return null;
        }

        return _token.Matches(context.RequestHeaders.GetValue(Header)) switch
        {
            true => null,
            null => "no bearer token: this drift monitor takes prediction logs only with 'authorization: Bearer <Serving:Drift:IngestToken>'; set the worker's Serving:Worker:PredictionLogs:IngestToken to it",
            false => "wrong bearer token: the worker's Serving:Worker:PredictionLogs:IngestToken must equal this drift monitor's Serving:Drift:IngestToken",
        };
    }

    /// <summary>True at most once every 30 s: a refused sender retries, and anyone can knock, so not every refusal is a log line.</summary>
    public bool TakeLogTurn() => _log.TryPass();
}
