using System.Diagnostics;
using System.Globalization;

namespace Serving.Testing;

/// <summary>Runs the <c>serving</c> command line (the serving.dll next to the test assembly) in a child process to its exit.</summary>
public static class ServingRun
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The exit code and everything printed (stdout, then stderr); <paramref name="workingDirectory"/> is where it runs.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string[] args, string? workingDirectory = null)
    {
        var (code, output, error) = await RunApartAsync(args, workingDirectory).ConfigureAwait(false);
        return (code, output + error);
    }

    /// <summary>The exit code, stdout and stderr apart; <paramref name="environment"/> is added to the child's.</summary>
    public static async Task<(int Code, string Output, string Error)> RunApartAsync(
        string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(args, workingDirectory, environment);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience).ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    /// <summary>
    /// Starts it, polls <paramref name="ready"/> until it holds, then sends <paramref name="signal"/> (<c>kill -TERM</c>
    /// for "TERM") and waits for the exit: the exit code, stdout and stderr apart.
    /// </summary>
    public static async Task<(int Code, string Output, string Error)> RunAndSignalAsync(string[] args, Func<Task<bool>> ready, string signal)
    {
        using var process = Start(args, workingDirectory: null, environment: null);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow + Patience;
            while (!process.HasExited && !await ready().ConfigureAwait(false))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"serving {string.Join(' ', args)} did not get where the signal goes within {Patience.TotalSeconds} s");
                }

                await Task.Delay(10).ConfigureAwait(false);
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"serving {string.Join(' ', args)} ended before the signal: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
            }
            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }

            await process.WaitForExitAsync().WaitAsync(Patience).ConfigureAwait(false);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    private static Process Start(string[] args, string? workingDirectory, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "serving.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // As in a log file or CI: output redirected and no terminal width (COLUMNS) to go by.
        info.Environment.Remove("COLUMNS");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info)!;
    }
}
