using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serving.Drift.Monitoring;
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
    private readonly ArrayBufferWriter<byte> _line = new(16 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly EncodedSchema.Cache _names = new(JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
    private FileStream? _file;
    private long _fileBytes;
    private DateTimeOffset _openedAt;
    private int _counter;

    public ArchiveWriter(ArchiveOptions options, TimeProvider time, DriftMetrics metrics, ILogger<ArchiveWriter> logger)
    {
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Directory = Path.GetFullPath(options.Directory);
        _json = new Utf8JsonWriter(_line, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    /// <summary>The archive folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>The file being written, if any.</summary>
    public string? CurrentFile => _file?.Name;

    /// <summary>Creates the folder and proves it is writable, so a bad archive path fails the start rather than the first batch.</summary>
    public void EnsureWritable()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var probe = Path.Combine(Directory, $".write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
    }

    /// <summary>Appends one line per entry and flushes; when it returns, the lines are durable.</summary>
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
            long written = 0;
            RecordSchema? lastSchema = null;
            EncodedSchema? names = null;
            foreach (var entry in entries)
            {
                if (!ReferenceEquals(entry.Schema, lastSchema))
                {
                    lastSchema = entry.Schema;
                    names = _names.Get(entry.Schema);
                }

                var line = Serialize(entry, names!, receivedAt);
                RotateIfNeeded(line.Length, receivedAt);
                _file!.Write(line);
                _fileBytes += line.Length;
                written += line.Length;
            }

            _file!.Flush(_options.FlushToDisk);
            _metrics.OnArchiveWrite(written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The batch is not acknowledged (the sender re-sends it); the next write starts a fresh file.
            AbandonFile();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            CloseFile();
            _json.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private ReadOnlySpan<byte> Serialize(in ArchiveEntry entry, EncodedSchema names, DateTimeOffset receivedAt)
    {
        _line.ResetWrittenCount();
        _json.Reset(_line);
        ArchiveJson.Write(_json, entry, names, receivedAt);
        _json.Flush();
        _line.Write("\n"u8);
        return _line.WrittenSpan;
    }

    private void RotateIfNeeded(int lineBytes, DateTimeOffset now)
    {
        string? reason = _file is null ? "start"
            : _fileBytes > 0 && _fileBytes + lineBytes > _options.MaxFileBytes ? "size"
            : now - _openedAt >= _options.RotationInterval ? "time"
            : null;
        if (reason is null)
        {
            return;
        }

        CloseFile();
        Open(now);
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
                _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
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

    private void AbandonFile()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Buffered bytes that could not be written; those records were never acknowledged.
        }

        _file = null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Prediction archive: writing {File} ({Reason})")]
        public static partial void FileStarted(ILogger logger, string file, string reason);
    }
}
