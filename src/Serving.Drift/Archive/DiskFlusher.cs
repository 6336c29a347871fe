using System.Collections.Concurrent;

namespace Serving.Drift.Archive;

/// <summary>
/// Runs the archive's fsyncs on one dedicated thread, so that no thread-pool thread blocks on the disk. An fsync
/// takes milliseconds of waiting and no CPU; on a thread-pool thread that wait takes a thread from everything else
/// in the process (the worker's requests, when the sidecar shares its process) until the pool notices and adds one.
/// The thread starts with the first flush, so a writer that never fsyncs never has one.
/// </summary>
internal sealed class DiskFlusher : IDisposable
{
    private readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> _requests = [];
    private readonly Lock _lock = new();
    private Thread? _thread;
    private bool _closed;
    private long _completed;
    private long _folderSyncs;

    /// <summary>Requests run so far, failed ones included.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Folder fsyncs done (<see cref="DirectorySync"/>), failed ones not included.</summary>
    public long FolderSyncs => Interlocked.Read(ref _folderSyncs);

    /// <summary>
    /// fsyncs <paramref name="file"/> on the flusher's thread, then drops its pages from the page cache
    /// (<see cref="PageCache"/>), then fsyncs <paramref name="folder"/> when given (files were created in it); the task
    /// ends when the data, and the new files' names, are on the disk.
    /// </summary>
    public Task FlushToDiskAsync(FileStream file, string? folder = null) => RunAsync(() =>
    {
        file.Flush(flushToDisk: true);
        PageCache.Drop(file.SafeFileHandle);
        if (folder is not null)
        {
            DirectorySync.Sync(folder);
            Interlocked.Increment(ref _folderSyncs);
        }
    });

    /// <summary>Runs <paramref name="work"/> on the flusher's thread; its exception, if any, ends the task.</summary>
    internal Task RunAsync(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Archive fsync" };
                _thread.Start();
            }

            _requests.Add((work, done));
        }

        return done.Task;
    }

    /// <summary>Runs what was asked before, then ends the thread.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _requests.CompleteAdding();
            thread = _thread;
        }

        thread?.Join();
        _requests.Dispose();
    }

    private void Run()
    {
        foreach (var (work, done) in _requests.GetConsumingEnumerable())
        {
            Exception? failure = null;
            try
            {
                work();
            }
            catch (Exception e)
            {
                // Not swallowed: the writer awaiting this flush gets it (and does not acknowledge the batch).
                failure = e;
            }

            // Counted before the caller can see its task end.
            Interlocked.Increment(ref _completed);
            if (failure is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(failure);
            }
        }
    }
}
