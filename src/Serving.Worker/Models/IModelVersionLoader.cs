namespace Serving.Worker.Models;

/// <summary>
/// Loads one version: session, signature check against the graph, warm-up. Never throws: failure is a state. The
/// repository calls it for several models at once (<c>Serving:Worker:ModelLoadThreads</c>).
/// </summary>
internal interface IModelVersionLoader
{
    /// <summary>Whether a version reads its model's <c>features.csv</c> (the in-memory store: no Redis configured).</summary>
    bool ReadsFeatureCsv { get; }

    /// <summary>The version loaded from <paramref name="modelPath"/>, READY or UNAVAILABLE with the reason; safe to call from several threads at once.</summary>
    ModelVersion Load(string model, long version, string modelPath, ModelConfig config, string fingerprint);
}
