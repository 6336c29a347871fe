using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Drift.Archive;
using Serving.Drift.Monitoring;
using Serving.Drift.Tests.TestSupport;

namespace Serving.Drift.Tests.Archive;

public sealed class ArchiveWriterTests
{
    private static readonly Protocol.PredictionLogs.RecordSchema Schema = Records.Schema("m", "1", ["a", "b"], ("p", 2));

    [Fact]
    public async Task AppendAsync_PastMaxFileBytes_StartsANewFile_NoFileExceedsTheLimit_OrderKept()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions { MaxFileBytes = 1024 });

        for (var batch = 0; batch < 10; batch++)
        {
            await writer.AppendAsync([.. Enumerable.Range(0, 5).Select(i => Entry($"{batch}-{i}"))], CancellationToken.None);
        }

        var files = folder.Files();
        Assert.True(files.Length > 3, $"{files.Length} files");
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, 1024));
        var ids = files.SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString());
        Assert.Equal(Enumerable.Range(0, 10).SelectMany(b => Enumerable.Range(0, 5).Select(i => $"{b}-{i}")), ids);
    }

    [Fact]
    public async Task AppendAsync_ABatchAcrossFiles_EveryFileItFilledIsFsyncedOnTheFlusherThread_ThenClosed()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions { MaxFileBytes = 1024, FlushToDisk = true });

        await writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"a-{i}"))], CancellationToken.None);

        // One fsync per file the batch wrote to: the ones it rotated away from as well as the one it ends in.
        var files = folder.Files();
        Assert.True(files.Length >= 3, $"{files.Length} files");
        Assert.Equal(files.Length, writer.DiskFlushes);
        Assert.Equal(20, files.Sum(f => File.ReadAllLines(f).Length));

        // The files rotated away from are closed; the current one is still open.
        Assert.All(files.SkipLast(1), f => Assert.DoesNotContain(f, OpenByThisProcess()));
        Assert.Contains(files[^1], OpenByThisProcess());

        await writer.AppendAsync([Entry("b")], CancellationToken.None);
        Assert.Equal(files.Length + 1, writer.DiskFlushes);
    }

    /// <summary>
    /// An fsync of a new file puts its lines on the disk but not its name in the folder: after a power loss the file,
    /// acknowledged lines and all, could be gone. The folder is fsynced once per batch that created files (before, never).
    /// </summary>
    [Fact]
    public async Task AppendAsync_WithFlushToDisk_TheFolderIsFsyncedOncePerBatchThatCreatedFiles()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions { MaxFileBytes = 1024, FlushToDisk = true });

        await writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"a-{i}"))], CancellationToken.None);
        Assert.True(folder.Files().Length >= 3, $"{folder.Files().Length} files");
        Assert.Equal(1, writer.FolderSyncs);

        // Into the current file: no new name, no folder fsync.
        await writer.AppendAsync([Entry("b")], CancellationToken.None);
        Assert.Equal(1, writer.FolderSyncs);

        var files = folder.Files().Length;
        await writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"c-{i}"))], CancellationToken.None);
        Assert.True(folder.Files().Length > files);
        Assert.Equal(2, writer.FolderSyncs);
    }

    [Fact]
    public async Task AppendAsync_WithoutFlushToDisk_NoFolderFsync()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions { MaxFileBytes = 1024, FlushToDisk = false });

        await writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"a-{i}"))], CancellationToken.None);

        Assert.Equal(0, writer.FolderSyncs);
    }

    [Fact]
    public void DirectorySync_AFolderThatIsThere_Flushed_OneThatIsNot_IOExceptionWithTheOsReason()
    {
        using var folder = new TempFolder();
        DirectorySync.Sync(folder.Path);

        var missing = System.IO.Path.Combine(folder.Path, "gone");
        var failure = Assert.Throws<IOException>(() => DirectorySync.Sync(missing));
        Assert.Contains(missing, failure.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendAsync_WithFlushToDisk_LeavesNoneOfTheArchivedPagesInThePageCache()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions { FlushToDisk = true });

        for (var batch = 0; batch < 3; batch++)
        {
            await writer.AppendAsync([.. Enumerable.Range(0, 500).Select(i => Entry($"{batch}-{i}"))], CancellationToken.None);
        }

        // None of the file's pages stayed cached after the fsync (probed first: reading the file caches it again), and
        // every line is in it.
        var file = Assert.Single(folder.Files());
        Assert.Equal(0, PageCacheProbe.ResidentPages(file));
        Assert.True(new FileInfo(file).Length > 20 * Environment.SystemPageSize, $"{new FileInfo(file).Length} bytes");
        Assert.Equal(1500, File.ReadAllLines(file).Length);
    }

    [Fact]
    public async Task AppendAsync_WithoutFlushToDisk_LeavesThePagesCached_TheyAreNotOnTheDiskYet()
    {
        // The other side of the test above, and proof that the probe sees cached pages: without an fsync the pages are
        // dirty, and the writer leaves them to the OS.
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions { FlushToDisk = false });

        await writer.AppendAsync([.. Enumerable.Range(0, 500).Select(i => Entry($"a-{i}"))], CancellationToken.None);

        var file = Assert.Single(folder.Files());
        var pages = (new FileInfo(file).Length + Environment.SystemPageSize - 1) / Environment.SystemPageSize;
        Assert.Equal(pages, PageCacheProbe.ResidentPages(file));
    }

    [Fact]
    public async Task AppendAsync_FileOlderThanRotationInterval_NextWriteStartsANewFile()
    {
        using var folder = new TempFolder();
        var time = new ManualTimeProvider();
        using var writer = Writer(folder, new ArchiveOptions { RotationInterval = TimeSpan.FromMinutes(10) }, time);

        await writer.AppendAsync([Entry("first")], CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(9));
        await writer.AppendAsync([Entry("same-file")], CancellationToken.None);
        Assert.Single(folder.Files());

        time.Advance(TimeSpan.FromMinutes(1));
        await writer.AppendAsync([Entry("new-file")], CancellationToken.None);

        var files = folder.Files();
        Assert.Equal(2, files.Length);
        Assert.Equal(2, File.ReadAllLines(files[0]).Length);
        Assert.Contains("\"request_id\":\"new-file\"", File.ReadAllText(files[1]), StringComparison.Ordinal);
        Assert.Equal(writer.CurrentFile, files[1]);
    }

    [Fact]
    public async Task AppendAsync_WhenItReturns_TheLinesAreReadableByOthers()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions());

        await writer.AppendAsync([Entry("x")], CancellationToken.None);

        using var shared = new FileStream(Assert.Single(folder.Files()), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(shared);
        Assert.Contains("\"request_id\":\"x\"", await reader.ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Line_NamesValues_WritesNonFiniteAsNull_MarksUnknownVersions()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions());
        var record = Records.Record([1.5, double.NaN], [0.25, 0.75], "id-1");
        record.CategoricalFeatures["city"] = "Oslo";

        await writer.AppendAsync([new ArchiveEntry(Schema, Ingested.Record(record), ArchiveStatus.UnknownVersion)], CancellationToken.None);

        using var line = JsonDocument.Parse(File.ReadAllText(Assert.Single(folder.Files())));
        var root = line.RootElement;
        Assert.Equal("unknown_version", root.GetProperty("status").GetString());
        Assert.Equal(1.5, root.GetProperty("features").GetProperty("a").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("features").GetProperty("b").ValueKind);
        Assert.Equal("Oslo", root.GetProperty("categorical_features").GetProperty("city").GetString());
        Assert.Equal([0.25, 0.75], root.GetProperty("outputs").GetProperty("p").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc), root.GetProperty("timestamp").GetDateTime().ToUniversalTime());
        Assert.False(root.TryGetProperty("arm", out _));
    }

    [Fact]
    public async Task AppendAsync_AnEarlierRunLeftAFileWithTheSameName_TakesTheNextNumber()
    {
        using var folder = new TempFolder();
        var time = new ManualTimeProvider();
        using (var first = Writer(folder, new ArchiveOptions(), time))
        {
            await first.AppendAsync([Entry("run-1")], CancellationToken.None);
        }

        using var second = Writer(folder, new ArchiveOptions(), time);
        await second.AppendAsync([Entry("run-2")], CancellationToken.None);

        var files = folder.Files();
        Assert.Equal(2, files.Length);
        Assert.Contains("run-1", File.ReadAllText(files[0]), StringComparison.Ordinal);
        Assert.Contains("run-2", File.ReadAllText(files[1]), StringComparison.Ordinal);
    }

    /// <summary>
    /// The disk fills part way through a batch: the batch fails (unacknowledged, the sender re-sends it) and the file is
    /// cut back to the whole lines before it. Before, the file kept half a line at its end, which no reader can parse.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AppendAsync_DiskFullPartWay_FileCutBackToTheLinesBefore_NextBatchGoesToANewFile(bool flushToDisk)
    {
        using var folder = new TempFolder();
        var opened = 0;
        var writer = new ArchiveWriter(
            new ArchiveOptions { Directory = folder.Path, FlushToDisk = flushToDisk }, TimeProvider.System, new DriftMetrics(), NullLogger<ArchiveWriter>.Instance)
        {
            OpenFile = path => new FillingFileStream(path, room: ++opened == 1 ? 3000 : long.MaxValue),
        };
        using var _ = writer;
        await writer.AppendAsync([.. Enumerable.Range(0, 5).Select(i => Entry($"first-{i}"))], CancellationToken.None);
        var firstFile = writer.CurrentFile!;
        var whole = new FileInfo(firstFile).Length;
        Assert.InRange(whole, 1, 2999);

        await Assert.ThrowsAsync<IOException>(() => writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"second-{i}"))], CancellationToken.None));

        Assert.Equal(whole, new FileInfo(firstFile).Length);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"first-{i}"), File.ReadAllLines(firstFile).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()));

        await writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"second-{i}"))], CancellationToken.None);
        Assert.NotEqual(firstFile, writer.CurrentFile);
        Assert.Equal(20, File.ReadAllLines(writer.CurrentFile!).Select(l => JsonDocument.Parse(l)).Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AppendAsync_BatchLargerThanTheRoomLeft_EveryFailureLeavesNoFileBehind(bool flushToDisk)
    {
        using var folder = new TempFolder();
        var writer = new ArchiveWriter(
            new ArchiveOptions { Directory = folder.Path, FlushToDisk = flushToDisk }, TimeProvider.System, new DriftMetrics(), NullLogger<ArchiveWriter>.Instance)
        {
            OpenFile = path => new FillingFileStream(path, room: 1000),
        };
        using var _ = writer;

        for (var attempt = 0; attempt < 5; attempt++)
        {
            await Assert.ThrowsAsync<IOException>(() => writer.AppendAsync([.. Enumerable.Range(0, 20).Select(i => Entry($"big-{i}"))], CancellationToken.None));
        }

        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    /// <summary>
    /// The file being written is deleted, or its whole folder (an operator's clean-up, a retention script): the next batch
    /// goes to a new file, in the folder made again. Before, the open handle kept taking the batches, their fsyncs
    /// succeeded and they were acknowledged into a deleted file until the next rotation (an hour by default).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AppendAsync_TheFileOrItsFolderRemovedBetweenBatches_NextBatchIsInANewFileOnDisk(bool folderToo)
    {
        using var folder = new TempFolder();
        var archive = Path.Combine(folder.Path, "archive");
        using var writer = new ArchiveWriter(new ArchiveOptions { Directory = archive, FlushToDisk = true }, TimeProvider.System, new DriftMetrics(), NullLogger<ArchiveWriter>.Instance);
        await writer.AppendAsync([Entry("before")], CancellationToken.None);
        var first = writer.CurrentFile!;

        if (folderToo)
        {
            Directory.Delete(archive, recursive: true);
        }
        else
        {
            File.Delete(first);
        }

        await writer.AppendAsync([Entry("after-1"), Entry("after-2")], CancellationToken.None);

        var file = Assert.Single(Directory.GetFiles(archive));
        Assert.Equal(writer.CurrentFile, file);
        Assert.Equal(["after-1", "after-2"], File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()));
        Assert.DoesNotContain(first, OpenByThisProcess().Select(t => t.Replace(" (deleted)", "", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The file being written is truncated (logrotate's copytruncate: copy, then cut to 0): the next batch goes to a new
    /// file. Before, it was written at the writer's offset, after a run of NUL bytes as long as what was cut.
    /// </summary>
    [Fact]
    public async Task AppendAsync_TheFileTruncatedBetweenBatches_NextBatchIsInANewFile_NoNulBytes()
    {
        using var folder = new TempFolder();
        using var writer = Writer(folder, new ArchiveOptions());
        await writer.AppendAsync([Entry("before")], CancellationToken.None);
        var first = writer.CurrentFile!;
        using (var truncate = new FileStream(first, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }

        await writer.AppendAsync([Entry("after")], CancellationToken.None);

        Assert.NotEqual(first, writer.CurrentFile);
        Assert.Equal(0, new FileInfo(first).Length);
        Assert.Equal(["after"], File.ReadAllLines(writer.CurrentFile!).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()));
    }

    /// <summary>The file is deleted while a batch is written to it: that batch fails (not acknowledged; it is sent again) and the next one lands in a new file.</summary>
    [Fact]
    public async Task AppendAsync_FileRemovedDuringTheBatch_BatchFails_ItsResendIsOnDisk()
    {
        using var folder = new TempFolder();
        var opened = 0;
        var writer = new ArchiveWriter(
            new ArchiveOptions { Directory = folder.Path, FlushToDisk = true }, TimeProvider.System, new DriftMetrics(), NullLogger<ArchiveWriter>.Instance)
        {
            OpenFile = path => new DeletedOnWriteFileStream(path, deleteOnWrite: ++opened == 1 ? 2 : 0),
        };
        using var _ = writer;
        await writer.AppendAsync([Entry("first")], CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => writer.AppendAsync([Entry("second")], CancellationToken.None));
        await writer.AppendAsync([Entry("second")], CancellationToken.None);

        var file = Assert.Single(folder.Files());
        Assert.Equal(["second"], File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()));
    }

    [Fact]
    public async Task CutPartialLines_CutsOnlyTheUnfinishedTail_LeavesWholeFilesAndFilesAWriterHasOpen()
    {
        using var folder = new TempFolder();
        using (var earlier = Writer(folder, new ArchiveOptions()))
        {
            await earlier.AppendAsync([Entry("a"), Entry("b")], CancellationToken.None);
        }

        var whole = Assert.Single(folder.Files());
        var wholeLines = File.ReadAllText(whole);
        var cut = Path.Combine(folder.Path, "predictions-20240101T000000000Z-000001.jsonl");
        await File.WriteAllTextAsync(cut, wholeLines + "{\"received_at\":\"2024");

        // Another monitor on the folder, writing: its file is left alone, whatever it ends with.
        using var live = Writer(folder, new ArchiveOptions());
        await live.AppendAsync([Entry("live")], CancellationToken.None);
        await using (var append = new FileStream(live.CurrentFile!, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            append.Write("{\"partial"u8);
        }

        using var starting = Writer(folder, new ArchiveOptions());
        Assert.Equal(1, starting.CutPartialLines());

        Assert.Equal(wholeLines, File.ReadAllText(whole));
        Assert.Equal(wholeLines, File.ReadAllText(cut));
        Assert.EndsWith("{\"partial", File.ReadAllText(live.CurrentFile!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CutPartialLines_FilesThatEndInANewline_AreOnlyRead_NotOpenedForWriting()
    {
        using var folder = new TempFolder();
        using var live = Writer(folder, new ArchiveOptions());
        await live.AppendAsync([Entry("live")], CancellationToken.None);

        // The live writer's shared lock refuses an open for writing: a file that needs no cut is never asked for one.
        var log = new CountingLogger();
        using var starting = new ArchiveWriter(new ArchiveOptions { Directory = folder.Path }, TimeProvider.System, new DriftMetrics(), log);

        Assert.Equal(0, starting.CutPartialLines());
        Assert.Equal(0, log.Warnings);
    }

    [Fact]
    public void EnsureWritable_CreatesTheFolder()
    {
        using var folder = new TempFolder();
        var nested = Path.Combine(folder.Path, "a", "b");
        using var writer = new ArchiveWriter(new ArchiveOptions { Directory = nested }, TimeProvider.System, new DriftMetrics(), NullLogger<ArchiveWriter>.Instance);

        writer.EnsureWritable();

        Assert.True(Directory.Exists(nested));
        Assert.Empty(Directory.GetFiles(nested));
    }

    // Files this process has open, from /proc (Linux, where the tests run).
    private static HashSet<string> OpenByThisProcess() =>
        [.. new DirectoryInfo("/proc/self/fd").GetFileSystemInfos()
            .Select(fd => fd.LinkTarget)
            .OfType<string>()];

    private static ArchiveWriter Writer(TempFolder folder, ArchiveOptions options, TimeProvider? time = null)
    {
        options.Directory = folder.Path;
        return new ArchiveWriter(options, time ?? TimeProvider.System, new DriftMetrics(), NullLogger<ArchiveWriter>.Instance);
    }

    // A file on a disk with `room` bytes left: a write past it writes what fits, then fails as a full disk does.
    private sealed class FillingFileStream(string path, long room) : FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0)
    {
        private long _room = room;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (buffer.Length <= _room)
            {
                base.Write(buffer);
                _room -= buffer.Length;
                return;
            }

            base.Write(buffer[..(int)_room]);
            _room = 0;
            throw new IOException("No space left on device");
        }
    }

    // A file that someone deletes on its `deleteOnWrite`th write (0: never), as the write happens.
    private sealed class DeletedOnWriteFileStream(string path, int deleteOnWrite) : FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0)
    {
        private int _writes;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            base.Write(buffer);
            if (++_writes == deleteOnWrite)
            {
                File.Delete(Name);
            }
        }
    }

    private sealed class CountingLogger : Microsoft.Extensions.Logging.ILogger<ArchiveWriter>
    {
        public int Warnings { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                Warnings++;
            }
        }
    }

    private static ArchiveEntry Entry(string id) => new(Schema, Ingested.Record(Records.Record([1, 2], [0.5, 0.5], id)), ArchiveStatus.Scored);
}
