using System.Diagnostics;

namespace Serving.LoadTests.GatewayBench;

/// <summary>The nginx executable the bench runs, and its version for the report.</summary>
/// <param name="Path">The executable.</param>
/// <param name="Version">What <c>nginx -v</c> says, e.g. <c>nginx/1.22.1</c>.</param>
internal sealed record NginxBinary(string Path, string Version)
{
    /// <summary>What to tell a user without nginx.</summary>
    public const string InstallHint = "nginx is not installed: install it with `apt-get install nginx` (Debian/Ubuntu, as root or with sudo) or pass --nginx PATH";

    // Debian installs it in /usr/sbin, which is not on a normal user's PATH.
    private static readonly string[] SbinFolders = ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];

    /// <summary>
    /// <paramref name="explicitPath"/> when given (it must exist), else the first <c>nginx</c> on
    /// <paramref name="searchPath"/> or in the sbin folders; null when there is none.
    /// </summary>
    public static string? Find(string? explicitPath, string? searchPath) => Find(explicitPath, searchPath, SbinFolders);

    /// <summary>As above with the folders searched after <paramref name="searchPath"/> given.</summary>
    internal static string? Find(string? explicitPath, string? searchPath, IEnumerable<string> fallbackFolders)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath) ? System.IO.Path.GetFullPath(explicitPath) : throw LoadTestException.Usage($"--nginx '{explicitPath}' does not exist");
        }

        var folders = (searchPath ?? string.Empty).Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(fallbackFolders);
        return folders.Select(f => System.IO.Path.Combine(f, "nginx")).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs <c>nginx -v</c>; throws when the file does not run as nginx.</summary>
    public static async Task<NginxBinary> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(path, "-v") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        try
        {
            using var process = Process.Start(start) ?? throw new LoadTestException($"'{path} -v' did not start");
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
            var text = (await stderr) + (await stdout);
            return new NginxBinary(path, ParseVersion(text) ?? throw new LoadTestException($"'{path} -v' did not print an nginx version: {text.Trim()}"));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LoadTestException($"cannot run '{path}': {e.Message}", e);
        }
    }

    /// <summary><c>nginx/1.22.1</c> from <c>nginx version: nginx/1.22.1</c>; null when absent.</summary>
    internal static string? ParseVersion(string text)
    {
        const string marker = "nginx version: ";
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : text[(at + marker.Length)..].Split('\n', 2)[0].Trim();
    }
}
