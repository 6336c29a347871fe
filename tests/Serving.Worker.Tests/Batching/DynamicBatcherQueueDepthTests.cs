using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Metrics;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Batching;

/// <summary>serving_batch_queue_depth is the requests queued for a model version, however many batchers serve it.</summary>
public sealed class DynamicBatcherQueueDepthTests
{
    private static readonly string[] Outputs = ["y"];
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static InferTensor[] Rows(int rows) =>
        [InferTensor.Fixed("x", DataType.FP32, [rows, 1], new byte[rows * sizeof(float)])];

    /// <summary>
    /// A reload serves the version from a new batcher while the old one serves what it queued, both on the version's series.
    /// Each set the gauge to its own queue's length: with 3 queued in the old one and 1 in the new, it said 1, and once the
    /// old one's batch went, 0. The delay is a minute: the old one's batch goes when its rows make the preferred 3.
    /// </summary>
    [Fact]
    public async Task TwoBatchersOfOneVersion_TheGaugeCountsBothQueues()
    {
        var metrics = new BatchingMetrics.Series("queue-depth-test-reload", "1");
        var settings = new BatchSettings(8, 60 * Stopwatch.Frequency, [3], 64, 1, 0);
        var runner = new EchoRunner();
        using var old = new DynamicBatcher(runner, settings, metrics, NullLogger.Instance);
        using var reloaded = new DynamicBatcher(runner, settings, metrics, NullLogger.Instance);
        using var leaves = new CancellationTokenSource();

        var a = old.EnqueueAsync(Rows(1), Outputs, CallerDeadline.NotGiven, CancellationToken.None);
        var b = old.EnqueueAsync(Rows(1), Outputs, CallerDeadline.NotGiven, CancellationToken.None);
        var c = reloaded.EnqueueAsync(Rows(1), Outputs, CallerDeadline.NotGiven, leaves.Token);
        Assert.Equal(3, metrics.Depth.Value);

        var d = old.EnqueueAsync(Rows(1), Outputs, CallerDeadline.NotGiven, CancellationToken.None);
        await Task.WhenAll(a, b, d).WaitAsync(Guard);
        Assert.Equal([3], runner.Runs);
        Assert.Equal(1, reloaded.QueueLength);
        Assert.Equal(1, metrics.Depth.Value);

        await leaves.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.WaitAsync(Guard));
        Assert.Equal(0, metrics.Depth.Value);
    }
}
