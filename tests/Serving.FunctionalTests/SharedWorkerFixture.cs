using Serving.Testing;

namespace Serving.FunctionalTests;

/// <summary>One worker shared by the read-only test classes: the sample models plus the test-only models.</summary>
public sealed class SharedWorkerFixture : IAsyncLifetime
{
    private TempDirectory? _repository;

    public WorkerServer Server { get; private set; } = null!;

    public const long MaxElements = 100_000;

    public const long MaxRequestBytes = 1024 * 1024;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular", "digits");
        foreach (var dir in Directory.EnumerateDirectories(RepoPaths.TestModels))
        {
            RepoPaths.CopyDirectory(dir, Path.Combine(_repository.Path, Path.GetFileName(dir)));
        }

        Server = await WorkerServer.StartAsync(_repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:MaxElementsPerTensor"] = MaxElements.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Serving:Worker:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _repository?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedWorkerCollection : ICollectionFixture<SharedWorkerFixture>
{
    public const string Name = "shared worker";
}
