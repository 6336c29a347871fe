using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>
/// One worker serving <c>canary</c> (tests/models/canary: version 1 is y = 2x, version 2 loads and
/// warms up but fails at run time for any non-zero input, 500 / INTERNAL) and <c>tabular</c>
/// (two healthy versions). Each test starts its own gateway, so policies never leak between tests.
/// </summary>
public sealed class CanaryFixture : IAsyncLifetime
{
    private TempDirectory? _repository;

    public WorkerServer Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.TestModels, "canary");
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "tabular"), Path.Combine(_repository.Path, "tabular"));
        Worker = await WorkerServer.StartAsync(_repository.Path);
    }

    public async Task DisposeAsync()
    {
        await Worker.DisposeAsync();
        _repository?.Dispose();
    }

    /// <summary>A gateway in front of the worker whose rollback monitor looks every 50 ms; <paramref name="settings"/> add keys.</summary>
    public Task<GatewayServer> StartGatewayAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Serving:Gateway:Rollback:CheckInterval"] = "00:00:00.050" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return GatewayServer.StartAsync([Worker], all);
    }
}
