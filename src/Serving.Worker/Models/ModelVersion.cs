using Serving.Worker.Batching;
using Serving.Worker.Runtime;

namespace Serving.Worker.Models;

/// <summary>
/// One loaded (or failed) version of a model. Requests hold a lease while they run; a retired
/// version disposes its session only when the last lease is released.
/// </summary>
internal sealed class ModelVersion
{
    private int _leases;
    private int _retired;
    private int _disposed;

    private ModelVersion(
        string model, long version, ModelVersionState state, string? reason, OnnxModelRunner? runner, string fingerprint,
        DynamicBatcher? batcher = null, Features.FeatureLookup? features = null, Metrics.InferenceStatistics? statistics = null)
    {
        Batcher = batcher;
        Statistics = statistics;
        Features = features;
        Model = model;
        Version = version;
        VersionText = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        State = state;
        Reason = reason;
        Runner = runner;
        Fingerprint = fingerprint;
    }

    public string Model { get; }

    public long Version { get; }

    public string VersionText { get; }

    public ModelVersionState State { get; private set; }

    /// <summary>Why the version is unavailable (safe to show: no paths).</summary>
    public string? Reason { get; }

    /// <summary>
    /// <see cref="Reason"/> without its leading "model 'm' version v: ", for a message that names the version itself
    /// ("model 'm' version 1 failed to load: ONNX Runtime could not load model.onnx: …", not the name twice).
    /// </summary>
    public string? ReasonAfterName => Reason is { } reason ? Serving.Protocol.Messages.ModelVersionText.WithoutName(reason, Model, VersionText) : null;

    public OnnxModelRunner? Runner { get; }

    /// <summary>The feature lookup for entity-form calls; null when the model declares no features.</summary>
    public Features.FeatureLookup? Features { get; }

    /// <summary>The counters Triton's statistics extension reports; null for a version that never loaded.</summary>
    public Metrics.InferenceStatistics? Statistics { get; }

    /// <summary>The version's dynamic batcher; null when it is served unbatched.</summary>
    public DynamicBatcher? Batcher { get; }

    /// <summary>Identifies the files it was loaded from; a change means reload.</summary>
    public string Fingerprint { get; }

    public int InFlight => Volatile.Read(ref _leases);

    public static ModelVersion Ready(
        string model, long version, OnnxModelRunner runner, string fingerprint, DynamicBatcher? batcher = null, Features.FeatureLookup? features = null,
        Metrics.InferenceStatistics? statistics = null) =>
        new(model, version, ModelVersionState.Ready, null, runner, fingerprint, batcher, features, statistics);

    public static ModelVersion Failed(string model, long version, string reason, string fingerprint) =>
        new(model, version, ModelVersionState.Unavailable, reason, null, fingerprint);

    public static ModelVersion Loading(string model, long version, string fingerprint) =>
        new(model, version, ModelVersionState.Loading, null, null, fingerprint);

    /// <summary>Takes a lease for one request; false once the version is retired.</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Volatile.Read(ref _retired) == 1 || State != ModelVersionState.Ready)
        {
            Release();
            return false;
        }

        return true;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) == 1)
        {
            DisposeRunner();
        }
    }

    /// <summary>Stops new leases; the session goes when in-flight requests finish.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 1)
        {
            return;
        }

        if (State == ModelVersionState.Ready)
        {
            State = ModelVersionState.Unloading;
        }

        if (Volatile.Read(ref _leases) == 0)
        {
            DisposeRunner();
        }
    }

    public bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    private void DisposeRunner()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // No lease is left, so no request is queued or running: the batcher's loops just end.
            Batcher?.Dispose();
            Runner?.Dispose();
        }
    }
}
