using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Serving.Drift.Archive;

/// <summary>
/// Drops an archive file's pages from the OS page cache once they are on the disk. The sidecar only ever
/// appends to its archive and never reads it back, so the cached copy serves nobody: it fills the node's page
/// cache (in a container, the pod's memory cgroup) at the archive's write rate, evicting what others read.
/// Dropped pages are also the ones the next write reuses, instead of pages the OS has to find (and, in a VM,
/// the host has to map) afresh: on this repository's 2-core VM, copying into fresh pages went from 28% of the
/// monitor's CPU under the ingest bench to 2% (<c>docs/drift.md</c>, "Archive").
/// </summary>
internal static partial class PageCache
{
    private const int PosixFadvDontNeed = 4;

    /// <summary>
    /// Advises the OS to drop <paramref name="file"/>'s cached pages (Linux <c>posix_fadvise(POSIX_FADV_DONTNEED)</c>;
    /// nothing elsewhere). Call it after an fsync: dirty pages are not dropped. Only advice, so a refusal is ignored.
    /// </summary>
    public static void Drop(SafeFileHandle file)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = PosixFadvise(file, 0, 0, PosixFadvDontNeed);
        }
    }

    // Returns the error number (not errno): 0 when the advice was taken.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(SafeFileHandle fd, long offset, long length, int advice);
}
