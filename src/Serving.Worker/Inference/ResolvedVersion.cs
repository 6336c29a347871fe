using Serving.Worker.Models;

namespace Serving.Worker.Inference;

/// <summary>A leased, ready model version; dispose to release the lease.</summary>
internal readonly struct ResolvedVersion(ModelVersion version) : IDisposable
{
    public ModelVersion Version { get; } = version;

    public void Dispose() => Version.Release();
}
