using System.Diagnostics;

namespace Serving.Testing;

/// <summary>Runs the <c>serving</c> command line (the serving.dll next to the test assembly) in a child process to its exit.</summary>
public static class ServingRun
{
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

        info.Environment["COLUMNS"] = "300"; // Spectre.Console's tables, unwrapped
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}
