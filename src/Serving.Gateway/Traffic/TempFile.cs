namespace Serving.Gateway.Traffic;

/// <summary>A file replaced whole: written to a temporary file beside it, then renamed over it.</summary>
internal static class TempFile
{
    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="temp"/> and renames it to <paramref name="path"/>; a write or
    /// rename that fails (a full disk) removes the temporary file, which was left behind, empty, before.
    /// </summary>
    public static async Task WriteAndRenameAsync(string temp, string path, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The write's failure is the one to report.
            }

            throw;
        }
    }
}
