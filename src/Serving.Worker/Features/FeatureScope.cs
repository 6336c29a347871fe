namespace Serving.Worker.Features;

/// <summary>Owns an entity-form request's filled input until the predict call is done (logs read it after the batch).</summary>
internal readonly struct FeatureScope(FeatureItem? item) : IDisposable
{
    public FeatureItem? Item { get; } = item;

    public void Dispose() => Item?.Filled?.Dispose();
}
