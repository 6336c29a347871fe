using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Serving.Drift.Tests.TestSupport;

/// <summary>How many of a file's pages the OS holds in its page cache (Linux <c>mincore</c> on a read-only mapping of it).</summary>
internal static unsafe partial class PageCacheProbe
{
    public static long ResidentPages(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        if (length == 0)
        {
            return 0;
        }

        using var mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        using var view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var pageSize = Environment.SystemPageSize;
        var pages = checked((int)((length + pageSize - 1) / pageSize));
        var vector = new byte[pages];
        byte* address = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref address);
        try
        {
            // A mapping starts on a page boundary; mincore reads the page cache without touching (faulting in) the pages.
            fixed (byte* v = vector)
            {
                if (MinCore(address + view.PointerOffset, (nuint)length, v) != 0)
                {
                    throw new IOException($"mincore failed for {path}: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        return vector.Count(b => (b & 1) != 0);
    }

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int MinCore(byte* address, nuint length, byte* vector);
}
