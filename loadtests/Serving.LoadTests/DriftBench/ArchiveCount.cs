namespace Serving.LoadTests.DriftBench;

/// <summary>An archive folder's JSON Lines files, their bytes and lines.</summary>
/// <param name="Files">Files (<c>*.jsonl</c>).</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="Lines">Complete lines (newline-terminated), one per archived record.</param>
internal sealed record ArchiveCount(int Files, long Bytes, long Lines)
{
    /// <summary>Counts <paramref name="directory"/> now (files still being written are read shared).</summary>
    public static ArchiveCount Of(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return new ArchiveCount(0, 0, 0);
        }

        var files = Directory.GetFiles(directory, "*.jsonl");
        long bytes = 0, lines = 0;
        var buffer = new byte[1 << 20];
        foreach (var file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                bytes += read;
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }

        return new ArchiveCount(files.Length, bytes, lines);
    }
}
