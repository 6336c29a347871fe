namespace Serving.Drift.Archive;

/// <summary>Where and how received prediction records are archived (section <c>Serving:Drift:Archive</c>).</summary>
public sealed class ArchiveOptions
{
    /// <summary>The folder of JSON Lines files (created at start). Default <c>prediction-logs</c>.</summary>
    public string Directory { get; set; } = "prediction-logs";

    /// <summary>A file is closed and a new one started before it would grow past this size. Default 64 MiB.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A file older than this is closed at the next write and a new one started. Default one hour.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// True (default): each batch is flushed to the disk (fsync) before it is acknowledged, so an
    /// acknowledged record survives a crash of the machine; false flushes to the OS only.
    /// </summary>
    public bool FlushToDisk { get; set; } = true;
}
