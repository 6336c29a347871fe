using System.Diagnostics;
using System.Globalization;

namespace Serving.LoadTests.H2Load;

/// <summary>Runs Debian's h2load (nghttp2-client) against a gRPC method with a framed body file.</summary>
internal static class H2LoadRunner
{
    /// <summary>The h2load executable on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "h2load"))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs h2load for <paramref name="seconds"/> after a 1 s warmup and returns its stdout.</summary>
    public static async Task<string> RunAsync(
        string executable, Uri methodUri, string bodyFile, int connections, int streamsPerConnection, int seconds, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-m", streamsPerConnection.ToString(CultureInfo.InvariantCulture),
            "-t", "1",
            "-D", seconds.ToString(CultureInfo.InvariantCulture),
            "--warm-up-time=1",
            "-H", "content-type: application/grpc",
            "-H", "te: trailers",
            "-d", bodyFile,
            methodUri.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new LoadTestException($"cannot start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        var output = await stdout;
        return process.ExitCode == 0 ? output : throw new LoadTestException($"h2load exited with {process.ExitCode}: {await stderr}{output}");
    }
}
