using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Drift.Monitoring;
using Serving.Drift.Tests.TestSupport;

namespace Serving.Drift.Tests.Monitoring;

public sealed class ReferenceProfileCatalogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "catalog-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>
    /// A profile copied into another model's folder (its file still says tabular/1) is that folder's model and version:
    /// before, both folders' versions were reported and counted as tabular/1, merged.
    /// </summary>
    [Fact]
    public void LoadAll_ProfileCopiedUnderAnotherName_KnownByItsFolder_NotMergedWithTheOriginal()
    {
        Copy(TestProfiles.TabularPath, "tabular", "1");
        Copy(TestProfiles.TabularPath, "g", "3");
        var catalog = new ReferenceProfileCatalog(Options.Create(new DriftOptions { ModelRepository = _root }), TimeProvider.System, NullLogger<ReferenceProfileCatalog>.Instance);

        Assert.Equal(2, catalog.LoadAll());

        Assert.Equal([("g", "3"), ("tabular", "1")], catalog.Loaded.Select(p => (p.Model, p.Version)).Order());
        var copied = catalog.Find("g", "3")!;
        Assert.Equal(("g", "3"), (copied.Model, copied.Version));
        Assert.Equal(TestProfiles.TabularV1.Features.Count, copied.Features.Count);
        Assert.Equal(("tabular", "1"), (catalog.Find("tabular", "1")!.Model, catalog.Find("tabular", "1")!.Version));
    }

    [Fact]
    public void ForgetIfGone_FolderMovedAway_ForgottenUntilItIsBack()
    {
        Copy(TestProfiles.TabularPath, "tabular", "1");
        var catalog = new ReferenceProfileCatalog(
            Options.Create(new DriftOptions { ModelRepository = _root, ProfileRetryInterval = TimeSpan.Zero }), TimeProvider.System, NullLogger<ReferenceProfileCatalog>.Instance);
        catalog.LoadAll();
        Assert.False(catalog.ForgetIfGone("tabular", "1"));

        Directory.Move(Path.Combine(_root, "tabular", "1"), Path.Combine(_root, "elsewhere"));

        Assert.True(catalog.ForgetIfGone("tabular", "1"));
        Assert.Null(catalog.Find("tabular", "1"));
        Assert.Empty(catalog.Loaded);

        Directory.Move(Path.Combine(_root, "elsewhere"), Path.Combine(_root, "tabular", "1"));

        Assert.NotNull(catalog.Find("tabular", "1"));
    }

    private void Copy(string from, string model, string version)
    {
        var folder = Path.Combine(_root, model, version);
        Directory.CreateDirectory(folder);
        File.Copy(from, Path.Combine(folder, "reference.json"));
    }
}
