using Serving.Commands;
using Serving.Testing;
using Serving.Worker.Features;
using Serving.Worker.Models;
using StackExchange.Redis;

namespace Serving.FunctionalTests.Features;

/// <summary>A load that Redis stops part way: the rows written before it, and the one line <c>serving features load</c> shows.</summary>
public sealed class FeatureLoadErrorTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    /// <summary>
    /// Redis killed after the first batch: the load stops with how many rows Redis took, and the line says so without
    /// the library's dump (before, a raw 'SocketClosed on 127.0.0.1:6383/Interactive, Idle/RanToCompletion, …' and no count).
    /// </summary>
    [Fact]
    public async Task Loader_RedisKilledAfterTheFirstBatch_StopsCountingTheRowsWritten_OneLineToShow()
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        using var reader = new StreamReader(FeatureTestData.CsvPath);

        var e = await Assert.ThrowsAsync<FeatureLoadException>(() =>
            FeatureLoader.LoadAsync(reader, config, _redis.Database, 100, new KillOnFirstReport(_redis), CancellationToken.None));

        Assert.Equal(100, e.Written);
        Assert.True(e.InnerException is RedisException or TimeoutException, e.InnerException?.ToString());
        var line = LoadErrors.Stopped("127.0.0.1:1", config.Layout, e);
        Assert.Contains("Redis at 127.0.0.1:1", line, StringComparison.Ordinal);
        Assert.Contains("; 100 row(s) were written before it. Once Redis answers, writes are idempotent: run the load again", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Interactive", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// Cancelled (Ctrl+C) after line 250: the writes already sent are awaited and the load says how far it got (before,
    /// a bare OperationCanceledException, and the command ended without a count).
    /// </summary>
    [Fact]
    public async Task Loader_CancelledPartWay_SaysTheRowsWrittenAndTheLine_AllOfThemInRedis()
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        using var cancel = new CancellationTokenSource();
        using var reader = new CancelAfterLines(new StreamReader(FeatureTestData.CsvPath), 250, cancel);

        var e = await Assert.ThrowsAsync<FeatureLoadStoppedException>(() =>
            FeatureLoader.LoadAsync(reader, config, _redis.Database, 100, null, cancel.Token));

        // Lines 2 to 250: 249 rows, two batches of 100 written and 49 in flight when it stopped.
        Assert.Equal(250, e.Line);
        Assert.Equal(249, e.Written);
        Assert.Equal(249L, (long)await _redis.Database.ExecuteAsync("DBSIZE"));
        Assert.Equal(
            "cancelled after line 250 of features.csv; 249 row(s) were written. Writes are idempotent: run the load again to load the rest",
            LoadErrors.Cancelled("features.csv", e));
    }

    [Fact]
    public async Task Stopped_WrongTypeTheLayoutCantReplace_NamesTheKeyAndWhatToDo()
    {
        await _redis.Database.StringSetAsync("features:customer:8", "a string");
        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => _redis.Database.HashSetAsync("features:customer:8", "a", "1"));
        var e = new FeatureLoadException(7, "features:customer:8", wrongType);

        var line = LoadErrors.Stopped("127.0.0.1:6379", "hash", e);

        Assert.Equal(
            "Redis key 'features:customer:8' holds a type the hash layout can't replace; 7 row(s) were written before it. Delete the key (redis-cli DEL 'features:customer:8') or change features.key_pattern, then writes are idempotent: run the load again",
            line);
    }

    // Cancels once it has handed out `lines` lines (the header included), as Ctrl+C while the loader reads.
    private sealed class CancelAfterLines(TextReader inner, int lines, CancellationTokenSource cancel) : TextReader
    {
        private int _read;

        public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var line = await inner.ReadLineAsync(cancellationToken);
            if (++_read == lines)
            {
                await cancel.CancelAsync();
            }

            return line;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    // Runs on the loader's thread (Progress<T> would post it): Redis is gone before the second batch is sent.
    private sealed class KillOnFirstReport(RedisServer redis) : IProgress<long>
    {
        private int _reports;

        public void Report(long value)
        {
            if (Interlocked.Increment(ref _reports) == 1)
            {
                redis.Stop();
            }
        }
    }
}
