using Serving.Worker.Features;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>Like <see cref="NumberFeatures"/>, but each fetch waits until the test opens it (a stalled store).</summary>
internal sealed class HeldFeatureStore : IFeatureStore
{
    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SemaphoreSlim Fetching { get; } = new(0);

    public string Kind => "memory";

    public async Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken)
    {
        Fetching.Release();
        await Open.Task.WaitAsync(cancellationToken);
        return await new NumberFeatures().FetchAsync(keys, fields, cancellationToken);
    }
}
