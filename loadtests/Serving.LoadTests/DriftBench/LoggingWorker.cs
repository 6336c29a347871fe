using Serving.LoadTests.Bench;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// The real worker in this process (<see cref="InProcessWorker"/>, batching on with the model's own settings), with
/// prediction logs at 100% to <c>logsEndpoint</c>, or off when it is null.
/// </summary>
internal sealed class LoggingWorker(InProcessWorker worker, bool logging) : IAsyncDisposable
{
    /// <summary>The gRPC (h2c) root.</summary>
    public Uri GrpcAddress => worker.GrpcAddress;

    /// <summary>True when this worker ships prediction logs.</summary>
    public bool Logging { get; } = logging;

    /// <summary>The bench's worker settings plus the prediction-log keys.</summary>
    public static Dictionary<string, string?> Settings(string repository, Uri? logsEndpoint)
    {
        var settings = InProcessWorker.Settings(repository, batching: true);
        settings["Serving:Worker:PredictionLogs:Endpoint"] = logsEndpoint?.ToString().TrimEnd('/') ?? string.Empty;
        settings["Serving:Worker:PredictionLogs:SampleRate"] = "1";
        return settings;
    }

    /// <summary>Builds and starts the worker; its models are loaded when this returns.</summary>
    public static async Task<LoggingWorker> StartAsync(string repository, Uri? logsEndpoint, CancellationToken cancellationToken) =>
        new(await InProcessWorker.StartAsync(Settings(repository, logsEndpoint), cancellationToken), logsEndpoint is not null);

    /// <summary>The Prometheus text of <c>/metrics</c>.</summary>
    public Task<string> ScrapeAsync(CancellationToken cancellationToken) => worker.ScrapeAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => worker.DisposeAsync();
}
