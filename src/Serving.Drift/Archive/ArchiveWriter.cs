using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serving.Drift.Monitoring;
using Serving.Hosting.Buffers;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Archive;

/// <summary>
/// Appends records to JSON Lines files in one folder, starting a new file before one would pass
/// <see cref="ArchiveOptions.MaxFileBytes"/> or once it is older than <see cref="ArchiveOptions.RotationInterval"/>.
/// </summary>
/// <remarks>
/// <see cref="AppendAsync"/> returns only after the lines are flushed (to the disk, with
/// <see cref="ArchiveOptions.FlushToDisk"/>), which is what lets the ingest stream acknowledge them.
/// Appends from concurrent streams are serialized; time rotation happens on the next write.
/// Files are named <c>predictions-&lt;UTC start&gt;-&lt;n&gt;.jsonl</c>, so names sort by time.
/// </remarks>
internal sealed partial class ArchiveWriter : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ArchiveOptions _options;
    private readonly TimeProvider _time;
    private readonly DriftMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PooledBufferWriter _lines = new(1 << 20, keepAtMost: 8 << 20);
    private readonly List<int> _lineEnds = [];
    private readonly Dictionary<(EncodedSchema, ArchiveStatus), byte[]> _prefixes = [];
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private readonly Utf8JsonWriter _json;
    private readonly EncodedSchema.Cache _names = new(JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
    private readonly DiskFlusher _flusher = new();
    private readonly List<FileStream> _retired = [];
    private FileStream? _file;
    private long _fileBytes;
    private FileStream? _batchFile;
    private long _batchFileStart;
    private DateTimeOffset _openedAt;
    private int _counter;
    private bool _newFileNames;
    private string _startReason = "start";
    private volatile string? _failure;
    private long _failures;

    public ArchiveWriter(ArchiveOptions options, TimeProvider time, DriftMetrics metrics, ILogger<ArchiveWriter> logger)
    {
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Directory = Path.GetFullPath(options.Directory);
        _json = new Utf8JsonWriter(_scratch, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    /// <summary>The archive folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>fsyncs run so far (on the flusher's thread): one per batch, and one per file a batch rotated away from.</summary>
    internal long DiskFlushes => _flusher.Completed;

    /// <summary>fsyncs of the archive folder: one per batch that created files, with its last fsync (FlushToDisk only).</summary>
    internal long FolderSyncs => _flusher.FolderSyncs;

    /// <summary>Opens an archive file for writing (a test's stand-in may fail part way, as a full disk does).</summary>
    internal Func<string, FileStream> OpenFile { get; init; } =
        path => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);

    /// <summary>The file being written, if any.</summary>
    public string? CurrentFile => _file?.Name;

    /// <summary>Why the last write failed, while the archive can't write; null once a write (or <see cref="RecheckWritable"/>) succeeded.</summary>
    public string? Failure => _failure;

    /// <summary>
    /// After a failed write: tries the folder again (a probe file with some bytes in it, flushed as batches are) and, when
    /// that works and no write failed meanwhile, clears <see cref="Failure"/>. Does nothing while the archive is fine.
    /// </summary>
    /// <returns>True when the archive can write (as far as it knows).</returns>
    public bool RecheckWritable()
    {
        if (_failure is null)
        {
            return true;
        }

        var failures = Interlocked.Read(ref _failures);
        try
        {
            Probe(ProbeBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // A write that failed while the probe ran keeps its reason; the next check tries again.
        if (Interlocked.Read(ref _failures) == failures)
        {
            _failure = null;
        }

        return _failure is null;
    }

    // A batch's worth is more than a few KiB; a probe that can't write this much can't take one either (a full disk still
    // creates an empty file).
    private const int ProbeBytes = 64 * 1024;

    /// <summary>Creates the folder and proves it is writable, so a bad archive path fails the start rather than the first batch.</summary>
    public void EnsureWritable() => Probe(0);

    private void Probe(int bytes)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var probe = Path.Combine(Directory, $".write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        try
        {
            if (bytes > 0)
            {
                file.Write(new byte[bytes]);
                file.Flush(_options.FlushToDisk);
            }
        }
        finally
        {
            file.Dispose();
            File.Delete(probe);
        }
    }

    /// <summary>
    /// Cuts the archive's files back to their last whole line, at start: a monitor killed (or a machine that went down)
    /// in the middle of a batch's write leaves part of a line at the end of the file it was writing, which the next run
    /// never touches (it starts a file of its own). Those bytes were never acknowledged: the batch is sent again.
    /// A file left empty goes. A file another process has open for writing (a second monitor on the same folder holds
    /// a shared lock on it) is left alone.
    /// </summary>
    /// <returns>The files cut.</returns>
    public int CutPartialLines()
    {
        var cut = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "predictions-*.jsonl"))
        {
            try
            {
                // Read first: most files end in a newline, and need not be opened for writing (they may be read-only).
                using (var reading = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0))
                {
                    if (WholeLinesLength(reading) == reading.Length)
                    {
                        continue;
                    }
                }

                bool empty;
                using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
                {
                    var whole = WholeLinesLength(file);
                    if (whole == file.Length)
                    {
                        continue;
                    }

                    Log.PartialLineCut(_logger, path, file.Length - whole);
                    file.SetLength(whole);
                    file.Flush(_options.FlushToDisk);
                    empty = whole == 0;
                }

                if (empty)
                {
                    File.Delete(path);
                }

                cut++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.PartialLineCheckFailed(_logger, path, e.Message);
            }
        }

        return cut;
    }

    // The length up to and including the file's last newline (0 when it has none).
    private static long WholeLinesLength(FileStream file)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            for (var end = file.Length; end > 0;)
            {
                var size = (int)Math.Min(4096, end);
                file.Position = end - size;
                file.ReadExactly(buffer, 0, size);
                var newline = buffer.AsSpan(0, size).LastIndexOf((byte)'\n');
                if (newline >= 0)
                {
                    return end - size + newline + 1;
                }

                end -= size;
            }

            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Appends one line per entry and flushes; when it returns, the lines are durable.</summary>
    /// <remarks>
    /// The batch's lines are formatted into one buffer first, then written with one call per file (a batch that
    /// crosses <see cref="ArchiveOptions.MaxFileBytes"/> is split at a line) and flushed once.
    /// </remarks>
    public async Task AppendAsync(IReadOnlyList<ArchiveEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var receivedAt = _time.GetUtcNow();
            DropIfRemoved();
            (_batchFile, _batchFileStart) = (_file, _fileBytes);
            Format(entries, receivedAt);
            WriteLines(receivedAt);
            if (_options.FlushToDisk)
            {
                // The fsync waits on the disk, not the CPU: on the flusher's own thread, while the caller's thread goes
                // on (the next batch is read meanwhile) and no thread-pool thread waits. Files this batch rotated away
                // from hold some of its lines: they are flushed too, then closed.
                foreach (var retired in _retired)
                {
                    await _flusher.FlushToDiskAsync(retired).ConfigureAwait(false);
                }

                // A file created since the last batch has its data on the disk now, but its name only in the folder's
                // cache: the folder is flushed too before the batch is acknowledged.
                await _flusher.FlushToDiskAsync(_file!, _newFileNames ? Directory : null).ConfigureAwait(false);
                _newFileNames = false;
            }

            // Unbuffered, so the lines are already with the OS; this flush only matters if buffering ever comes back.
            _file!.Flush(flushToDisk: false);

            // Removed while the batch was written: its lines went to a file no one can read. Not acknowledged, so it is sent
            // again, into a new file.
            if (!StillOurs(_file))
            {
                throw new IOException($"{_file.Name} was removed or truncated while a batch was written to it; the batch is not acknowledged and goes to a new file when it is sent again");
            }
            _metrics.OnArchiveWrite(_lines.Length);
            _failure = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failures);
            _failure = e.Message;
            // The batch is not acknowledged (the sender re-sends it); the next write starts a fresh file. What the
            // batch wrote to the file it ends in goes: a full disk leaves half a line, which no reader can parse.
            CutBatch();
            AbandonFile();
            throw;
        }
        finally
        {
            CloseRetired();
            _batchFile = null;
            _lines.Reset();
            _lineEnds.Clear();
            _prefixes.Clear();
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            CloseFile();
            _flusher.Dispose();
            _json.Dispose();
            _lines.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    // Every line into _lines, its end into _lineEnds; the fast formatter first, the JSON writer for the odd record.
    private void Format(IReadOnlyList<ArchiveEntry> entries, DateTimeOffset receivedAt)
    {
        RecordSchema? lastSchema = null;
        EncodedSchema? names = null;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (!ReferenceEquals(entry.Schema, lastSchema))
            {
                lastSchema = entry.Schema;
                names = _names.Get(entry.Schema);
            }

            if (!ArchiveLine.TryWrite(_lines, entry.Record, names!, Prefix(names!, entry.Status, receivedAt)))
            {
                _json.Reset(_lines);
                ArchiveJson.Write(_json, entry, names!, receivedAt);
                _json.Flush();
                _lines.Write("\n"u8);
            }

            _lineEnds.Add(_lines.Length);
        }
    }

    private byte[] Prefix(EncodedSchema names, ArchiveStatus status, DateTimeOffset receivedAt)
    {
        if (!_prefixes.TryGetValue((names, status), out var prefix))
        {
            prefix = ArchiveLine.Prefix(_json, _scratch, names, status, receivedAt);
            _prefixes[(names, status)] = prefix;
        }

        return prefix;
    }

    // One write per file: as many whole lines as fit before MaxFileBytes (at least one), then rotate and go on.
    private void WriteLines(DateTimeOffset receivedAt)
    {
        var lines = _lines.Written;
        var from = 0;
        for (var i = 0; i < _lineEnds.Count;)
        {
            RotateIfNeeded(_lineEnds[i] - from, receivedAt);
            var to = i + 1;
            while (to < _lineEnds.Count && _fileBytes + (_lineEnds[to] - from) <= _options.MaxFileBytes)
            {
                to++;
            }

            var end = _lineEnds[to - 1];
            _file!.Write(lines[from..end]);
            _fileBytes += end - from;
            from = end;
            i = to;
        }
    }

    // The file being written was deleted (or moved out of the folder, or the folder removed): its open handle still takes
    // writes, and the fsync succeeds, so batches were acknowledged into a file no one could find until the next rotation
    // (up to RotationInterval later). Start a new one instead; the folder is created again if it went.
    // Truncated too (logrotate's copytruncate): the next write, at the writer's offset, left a run of NUL bytes before it
    // that no reader can parse.
    private void DropIfRemoved()
    {
        if (_file is null || StillOurs(_file))
        {
            return;
        }

        Log.FileRemoved(_logger, _file.Name);
        try
        {
            _file.Dispose();
        }
        catch (IOException)
        {
            // Unbuffered: nothing was left to write, and the file is gone anyway.
        }

        _file = null;
        _startReason = "removed";
    }

    // Still in the folder under its name, and holding at least what this writer put in it.
    private bool StillOurs(FileStream file) => File.Exists(file.Name) && file.Length >= _fileBytes;

    private void RotateIfNeeded(int lineBytes, DateTimeOffset now)
    {
        string? reason = _file is null ? _startReason
            : _fileBytes > 0 && _fileBytes + lineBytes > _options.MaxFileBytes ? "size"
            : now - _openedAt >= _options.RotationInterval ? "time"
            : null;
        if (reason is null)
        {
            return;
        }

        RetireFile();
        Open(now);
        _startReason = "start";
        _metrics.OnArchiveFile(reason);
        Log.FileStarted(_logger, _file!.Name, reason);
    }

    private void Open(DateTimeOffset now)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"predictions-{stamp}-{++_counter:D6}.jsonl"));
            try
            {
                // Unbuffered: each batch arrives as one large write, which goes straight to the OS.
                _file = OpenFile(path);
                _newFileNames = true;
                _fileBytes = 0;
                _openedAt = now;
                return;
            }
            catch (IOException) when (File.Exists(path) && attempt < 1000)
            {
                // A file of an earlier run in the same millisecond: take the next number.
            }
        }
    }

    // A file rotated away from during a batch: with FlushToDisk it stays open until the batch's fsyncs (on the
    // flusher's thread) have covered it; otherwise it is closed at once.
    private void RetireFile()
    {
        if (_options.FlushToDisk && _file is not null)
        {
            _retired.Add(_file);
            _file = null;
            return;
        }

        CloseFile();
    }

    // After the batch's fsyncs, or after they failed: every retired file is closed (its lines reached the OS when written).
    private void CloseRetired()
    {
        foreach (var retired in _retired)
        {
            try
            {
                retired.Dispose();
            }
            catch (IOException e)
            {
                // Unbuffered, so nothing was left to write: the batch's lines were fsynced, or the batch already failed.
                Log.CloseFailed(_logger, retired.Name, e);
            }
        }

        _retired.Clear();
    }

    private void CloseFile()
    {
        if (_file is null)
        {
            return;
        }

        _file.Flush(_options.FlushToDisk);
        _file.Dispose();
        _file = null;
    }

    // Back to the file's length before the batch (0 for a file the batch opened): its lines were never acknowledged.
    // Lines it wrote to files it rotated away from stay (whole lines); the re-sent batch writes them again.
    private void CutBatch()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            _file.SetLength(ReferenceEquals(_file, _batchFile) ? _batchFileStart : 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.CutFailed(_logger, _file.Name, e);
        }
    }

    // A file left empty by the cut goes too: on a disk with less room than a batch every re-sent batch failed in a new
    // file, and the empty files piled up (about eight a second under load).
    private void AbandonFile()
    {
        if (_file is null)
        {
            return;
        }

        var path = _file.Name;
        var empty = false;
        try
        {
            empty = _file.Length == 0;
            _file.Dispose();
        }
        catch (IOException)
        {
            // Buffered bytes that could not be written; those records were never acknowledged.
        }

        _file = null;
        if (empty)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind: an empty file is harmless, only untidy.
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Prediction archive: writing {File} ({Reason})")]
        public static partial void FileStarted(ILogger logger, string file, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Prediction archive: closing {File} failed")]
        public static partial void CloseFailed(ILogger logger, string file, Exception exception);

        [LoggerMessage(3, LogLevel.Error, "Prediction archive: {File} could not be cut back to its last whole line after a failed write; its end may hold part of a line")]
        public static partial void CutFailed(ILogger logger, string file, Exception exception);

        [LoggerMessage(5, LogLevel.Warning, "Prediction archive: {File} ended in part of a line ({Bytes} bytes, never acknowledged: an earlier run stopped in the middle of a write); cut back to its last whole line")]
        public static partial void PartialLineCut(ILogger logger, string file, long bytes);

        [LoggerMessage(6, LogLevel.Warning, "Prediction archive: could not check {File} for a partial last line ({Problem})")]
        public static partial void PartialLineCheckFailed(ILogger logger, string file, string problem);

        [LoggerMessage(4, LogLevel.Warning, "Prediction archive: {File} was removed, moved away or truncated while being written; the next batch starts a new file")]
        public static partial void FileRemoved(ILogger logger, string file);
    }
}
