using System.Runtime.InteropServices;

namespace Serving.Drift.Archive;

/// <summary>
/// fsyncs a folder, so that the names of files created in it survive a crash as their data does: an fsync of a new
/// file puts its data on the disk, but not its entry in the folder, and after a power loss the file (every
/// acknowledged line in it) could be gone. .NET has no call for it (it refuses to open a folder as a file), so this
/// is the POSIX one: <c>open(folder, O_RDONLY)</c>, <c>fsync</c>, <c>close</c>. Linux only, as <see cref="PageCache"/>.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    /// <summary>fsyncs <paramref name="folder"/> (nothing off Linux).</summary>
    /// <exception cref="IOException">The folder could not be opened or flushed; the OS's reason is in the message.</exception>
    public static void Sync(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(folder, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"could not open the archive folder {folder} to flush its file names to the disk: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"could not flush the archive folder {folder}'s file names to the disk: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
