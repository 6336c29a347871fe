using System.Globalization;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>A worker of its own for the HTTP sweep (<c>RestHttpFuzzTests</c>) and its regression tests: copies of tabular, digits and two identity models under names no other test uses.</summary>
public sealed class RestHttpFuzzFixture : IAsyncLifetime
{
    private TempDirectory? _repository;

    public WorkerServer Server { get; private set; } = null!;

    /// <summary>The models served, by their sweep names: (sweep name, source folder).</summary>
    public static readonly (string Name, string Source)[] Models =
    [
        ("hf_tabular", Path.Combine(RepoPaths.Models, "tabular")), ("hf_digits", Path.Combine(RepoPaths.Models, "digits")),
        ("hf_bytes", Path.Combine(RepoPaths.TestModels, "identity_bytes")), ("hf_fp32", Path.Combine(RepoPaths.TestModels, "identity_fp32")),
    ];

    public async Task InitializeAsync()
    {
        _repository = new TempDirectory();
        foreach (var (name, source) in Models)
        {
            var folder = Path.Combine(_repository.Path, name);
            RepoPaths.CopyDirectory(source, folder);
            var yaml = Path.Combine(folder, "model.yaml");
            var text = await File.ReadAllTextAsync(yaml);
            await File.WriteAllTextAsync(yaml, "name: " + name + text[text.IndexOf('\n', StringComparison.Ordinal)..]);
        }

        Server = await WorkerServer.StartAsync(_repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:MaxRequestBytes"] = SharedWorkerFixture.MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
        });
        foreach (var (name, _) in Models)
        {
            await WaitReadyAsync(Server.Http, name);
        }
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _repository?.Dispose();
    }

    private static async Task WaitReadyAsync(HttpClient http, string model)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var ready = await http.GetAsync($"/v2/models/{model}/ready");
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{model} never became ready ({(int)ready.StatusCode})");
            await Task.Delay(20);
        }
    }
}

/// <summary>The classes that use <see cref="RestHttpFuzzFixture"/>'s worker: one at a time, as they read its counters.</summary>
[CollectionDefinition(Name)]
public sealed class RestHttpCollection : ICollectionFixture<RestHttpFuzzFixture>
{
    public const string Name = "rest http sweep";
}
