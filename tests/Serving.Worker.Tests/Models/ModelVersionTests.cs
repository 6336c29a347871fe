using Serving.Protocol.Tensors;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Models;

public sealed class ModelVersionTests
{
    [Fact]
    public void TryAcquire_ReadyVersion_TakesLease()
    {
        var version = ReadyFixed();

        Assert.True(version.TryAcquire());
        Assert.Equal(1, version.InFlight);
        version.Release();
        Assert.Equal(0, version.InFlight);
        Assert.False(version.IsDisposed);
        version.Retire();
    }

    [Fact]
    public void TryAcquire_AfterRetire_Fails()
    {
        var version = ReadyFixed();

        version.Retire();

        Assert.False(version.TryAcquire());
        Assert.Equal(0, version.InFlight);
        Assert.Equal(ModelVersionState.Unloading, version.State);
    }

    [Fact]
    public void Retire_NoLeases_DisposesAtOnce()
    {
        var version = ReadyFixed();

        version.Retire();

        Assert.True(version.IsDisposed);
    }

    [Fact]
    public void Retire_WhileLeased_DisposesOnlyAfterLastRelease()
    {
        var version = ReadyFixed();
        Assert.True(version.TryAcquire());
        Assert.True(version.TryAcquire());

        version.Retire();
        Assert.False(version.IsDisposed);
        Assert.Equal(ModelVersionState.Unloading, version.State);

        // The session still runs for the requests that hold a lease.
        Assert.Equal([2f, 4f, 6f, 8f], RunFixed(version.Runner!));

        version.Release();
        Assert.False(version.IsDisposed);

        version.Release();
        Assert.True(version.IsDisposed);
    }

    [Fact]
    public void Retire_Twice_StaysRetired()
    {
        var version = ReadyFixed();

        version.Retire();
        version.Retire();

        Assert.True(version.IsDisposed);
        Assert.False(version.TryAcquire());
    }

    [Fact]
    public void TryAcquire_FailedVersion_Fails()
    {
        var version = ModelVersion.Failed("m", 1, "broken", "fp");

        Assert.False(version.TryAcquire());
        Assert.Equal(0, version.InFlight);
        Assert.Equal(ModelVersionState.Unavailable, version.State);
        Assert.Equal("broken", version.Reason);
    }

    [Fact]
    public void TryAcquire_LoadingVersion_Fails()
    {
        var version = ModelVersion.Loading("m", 7, "fp");

        Assert.False(version.TryAcquire());
        Assert.Equal(0, version.InFlight);
        Assert.Equal("7", version.VersionText);
    }

    [Fact]
    public void Retire_FailedVersion_KeepsUnavailableState()
    {
        var version = ModelVersion.Failed("m", 1, "broken", "fp");

        version.Retire();

        Assert.Equal(ModelVersionState.Unavailable, version.State);
        Assert.True(version.IsDisposed);
    }

    [Fact]
    public void Leases_ConcurrentWithRetire_NeverDisposeWhileHeldAndDisposeAtEnd()
    {
        var version = ReadyFixed();
        var acquired = 0;
        var refused = 0;
        var disposedWhileHeld = 0;
        var runs = 0;

        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            if (!version.TryAcquire())
            {
                Interlocked.Increment(ref refused);
                return;
            }

            try
            {
                if (version.IsDisposed)
                {
                    Interlocked.Increment(ref disposedWhileHeld);
                }

                // Retire from inside a lease, so retirement always races with held leases.
                if (Interlocked.Increment(ref acquired) == 2_000)
                {
                    version.Retire();
                }

                if (i % 64 == 0)
                {
                    RunFixed(version.Runner!);
                    Interlocked.Increment(ref runs);
                }

                Thread.SpinWait(20);
                if (version.IsDisposed)
                {
                    Interlocked.Increment(ref disposedWhileHeld);
                }
            }
            finally
            {
                version.Release();
            }
        });

        Assert.Equal(0, disposedWhileHeld);
        Assert.True(acquired >= 2_000, $"acquired {acquired}");
        Assert.True(refused > 0, "no TryAcquire was refused after Retire");
        Assert.True(runs > 0);
        Assert.Equal(0, version.InFlight);
        Assert.True(version.IsDisposed);
        Assert.False(version.TryAcquire());
    }

    private static ModelVersion ReadyFixed() =>
        ModelVersion.Ready("fixed", 1, Runners.TestModel("fixed"), "fp");

    private static float[] RunFixed(OnnxModelRunner runner)
    {
        var input = InferTensor.Fixed("x", DataType.FP32, [4], System.Runtime.InteropServices.MemoryMarshal.AsBytes<float>([1f, 2f, 3f, 4f]).ToArray());
        var outputs = runner.Run([input], ["y"]);
        try
        {
            return outputs[0].As<float>().ToArray();
        }
        finally
        {
            outputs.ForEach(o => o.Dispose());
        }
    }
}
