using System.Diagnostics;

namespace Serving.LoadTests.Tests.TestSupport;

/// <summary>
/// The command line in a child process (the serving-loadtest.dll next to this assembly), so its console, its exit code and
/// the signals it gets are its own.
/// </summary>
internal static class LoadTestCli
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts it with stdout and stderr redirected, and SIGINT and SIGTERM at their default action even when this process
    /// ignores them (a test run started in the background of a shell without job control ignores SIGINT, and its children
    /// inherit that): GNU env's --default-signal.
    /// </summary>
    public static Process Start(IEnumerable<string> args, int? openFiles = null)
    {
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (openFiles is { } limit)
        {
            // The open-file limit (ulimit -n) lowered for the child alone, as a shell's ulimit does.
            info.FileName = "prlimit";
            info.ArgumentList.Add($"--nofile={limit}:{limit}");
            info.ArgumentList.Add("env");
        }

        info.ArgumentList.Add("--default-signal=INT,TERM");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "serving-loadtest.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    /// <summary>Runs it to its exit (killed after 60 s, which fails the test): the exit code, stdout and stderr; <paramref name="openFiles"/> lowers its ulimit -n.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(string[] args, int? openFiles = null)
    {
        using var process = Start(args, openFiles);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await WaitForExitAsync(process, args);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Waits at most 60 s for <paramref name="process"/> to exit; kills it and throws after that.</summary>
    public static async Task WaitForExitAsync(Process process, string[] args)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"serving-loadtest {string.Join(' ', args)} was still running after {Patience.TotalSeconds} s");
        }
    }
}
