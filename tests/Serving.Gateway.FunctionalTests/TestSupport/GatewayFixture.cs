using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Two workers that both serve tabular versions 1 and 2, and a gateway in front of them.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private TempDirectory? _repository;

    public WorkerServer WorkerA { get; private set; } = null!;

    public WorkerServer WorkerB { get; private set; } = null!;

    public GatewayServer Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        WorkerA = await WorkerServer.StartAsync(_repository.Path);
        WorkerB = await WorkerServer.StartAsync(_repository.Path);
        Gateway = await GatewayServer.StartAsync([WorkerA, WorkerB]);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await WorkerA.DisposeAsync();
        await WorkerB.DisposeAsync();
        _repository?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
