using Serving.Drift.Monitoring;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>
/// A drift monitor and a real worker whose prediction logs stream to it, sending tabular v1 traffic
/// in steps of one evaluation (EveryRecords rows) and waiting until the monitor has scored each step.
/// </summary>
internal sealed class DriftScenario : IAsyncDisposable
{
    public const int Window = 600;
    public const int EveryRecords = 100;
    public const int RowsPerRequest = 50;

    private readonly TempDirectory _repository;
    private long _sent;

    private DriftScenario(DriftServer drift, WorkerServer worker, TempDirectory repository)
    {
        Drift = drift;
        Worker = worker;
        _repository = repository;
    }

    public DriftServer Drift { get; }

    public WorkerServer Worker { get; }

    public ReferenceRows Rows { get; } = ReferenceRows.Load("tabular", "1");

    public VersionMonitor Tabular => Drift.Version("tabular", "1");

    /// <summary>
    /// Window 600, scored every 100 records, timed scoring and spacing off (so every evaluation is at a
    /// known record). One drifting feature out of 30 makes the version drift (share ≥ 0.03 instead of 0.5),
    /// so a single shifted feature raises the alert.
    /// </summary>
    public static async Task<DriftScenario> StartAsync(string? webhookUrl = null)
    {
        var drift = await DriftServer.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:Drift:Window:Capacity"] = Window.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Serving:Drift:Evaluation:EveryRecords"] = EveryRecords.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Serving:Drift:Evaluation:Interval"] = "00:00:00",
            ["Serving:Drift:Evaluation:MinInterval"] = "00:00:00",
            ["Serving:Drift:Thresholds:DriftShare"] = "0.03",
            ["Serving:Drift:Alerts:WebhookUrl"] = webhookUrl,
            ["Serving:Drift:Alerts:WebhookRetryDelay"] = "00:00:00.050",
        });
        var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
        });
        return new DriftScenario(drift, worker, repository);
    }

    /// <summary>Sends one evaluation step of rows and waits until the monitor has scored the window ending at them.</summary>
    public async Task<DriftEvaluation> StepAsync(Random random, (int Feature, double By)? shift = null)
    {
        for (var sent = 0; sent < EveryRecords; sent += RowsPerRequest)
        {
            var rows = Rows.Draw(random, RowsPerRequest, shift);
            await Worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows));
        }

        _sent += EveryRecords;
        await Eventually.TrueAsync(() => Tabular.Latest?.AtRecord == _sent, $"the evaluation at record {_sent}");
        return Tabular.Latest!;
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Drift.DisposeAsync();
        _repository.Dispose();
    }
}
