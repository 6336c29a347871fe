using Serving.Drift.Archive;
using Serving.Drift.Tests.TestSupport;

namespace Serving.Drift.Tests.Archive;

/// <summary>The archive's fsyncs run on one thread of their own, never on a thread-pool thread, and report their failures.</summary>
public sealed class DiskFlusherTests
{
    [Fact]
    public async Task RunAsync_RunsEveryRequest_OnOneDedicatedThread_NotAThreadPoolThread()
    {
        using var flusher = new DiskFlusher();
        var threads = new List<(int Id, bool Pooled)>();

        for (var i = 0; i < 5; i++)
        {
            await flusher.RunAsync(() => threads.Add((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsThreadPoolThread)));
        }

        Assert.Equal(5, threads.Count);
        Assert.Equal(5, flusher.Completed);
        Assert.All(threads, t => Assert.False(t.Pooled, "an fsync ran on a thread-pool thread"));
        Assert.Single(threads.Select(t => t.Id).Distinct());
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, threads.Select(t => t.Id));
    }

    [Fact]
    public async Task RunAsync_WorkThatThrows_FaultsItsTask_AndTheFlusherGoesOn()
    {
        using var flusher = new DiskFlusher();

        var failure = await Assert.ThrowsAsync<IOException>(() => flusher.RunAsync(() => throw new IOException("disk full")));
        Assert.Equal("disk full", failure.Message);

        var ran = false;
        await flusher.RunAsync(() => ran = true);
        Assert.True(ran);
        Assert.Equal(2, flusher.Completed); // the failed one counts
    }

    [Fact]
    public async Task Dispose_RunsWhatWasAskedBefore_ThenRefusesMore()
    {
        var flusher = new DiskFlusher();
        using var gate = new ManualResetEventSlim();
        var order = new List<int>();
        var first = flusher.RunAsync(() =>
        {
            gate.Wait();
            order.Add(1);
        });
        var second = flusher.RunAsync(() => order.Add(2));

        var disposing = Task.Run(flusher.Dispose);

        // Dispose has begun once the flusher refuses work; what it took until then is queued behind the blocked first.
        var accepted = new List<Task>();
        Assert.True(SpinWait.SpinUntil(() => Refuses(flusher, accepted), TimeSpan.FromSeconds(30)), "Dispose never began refusing work");
        Assert.False(second.IsCompleted);
        gate.Set();
        await disposing;

        Assert.True(first.IsCompletedSuccessfully && second.IsCompletedSuccessfully);
        Assert.All(accepted, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal([1, 2], order);
        flusher.Dispose(); // twice is harmless
    }

    [Fact]
    public async Task FlushToDiskAsync_ARealFile_Completes_AClosedOne_FaultsWithTheReason()
    {
        using var folder = new TempFolder();
        using var flusher = new DiskFlusher();
        var path = Path.Combine(folder.Path, "f.jsonl");

        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            file.Write("{}\n"u8);
            await flusher.FlushToDiskAsync(file);
            Assert.Equal(3, new FileInfo(path).Length);
        }

        var closed = new FileStream(path, FileMode.Append, FileAccess.Write);
        await closed.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => flusher.FlushToDiskAsync(closed));
    }

    private static bool Refuses(DiskFlusher flusher, List<Task> accepted)
    {
        try
        {
            accepted.Add(flusher.RunAsync(() => { }));
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
