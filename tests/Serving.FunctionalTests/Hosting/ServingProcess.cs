using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Serving.FunctionalTests.Hosting;

/// <summary>The real <c>serving</c> executable in a child process, with the ports it printed.</summary>
internal sealed partial class ServingProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Match> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private ServingProcess(Process process)
    {
        _process = process;
    }

    public int RestPort { get; private set; }

    public int GrpcPort { get; private set; }

    public int ProcessId => _process.Id;

    public string Output => string.Join('\n', _output);

    public static Task<ServingProcess> StartAsync(params string[] args) => StartAsync(new Dictionary<string, string>(), args);

    /// <summary>Starts <c>serving</c> with <paramref name="environment"/> added to this process's environment.</summary>
    public static Task<ServingProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartInAsync(Directory.GetCurrentDirectory(), environment, args);

    /// <summary>Starts <c>serving</c> in <paramref name="workingDirectory"/> (where it reads appsettings.json) with <paramref name="environment"/> added.</summary>
    public static Task<ServingProcess> StartInAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add(Dll);
        args.ToList().ForEach(info.ArgumentList.Add);
        return LaunchAsync(info);
    }

    /// <summary>Starts <c>serving</c> with its open-file limit lowered to <paramref name="openFiles"/> (bash's <c>ulimit -n</c>).</summary>
    public static Task<ServingProcess> StartWithOpenFileLimitAsync(int openFiles, params string[] args)
    {
        var info = new ProcessStartInfo("bash");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"ulimit -n {openFiles} && exec dotnet \"$0\" \"$@\"");
        info.ArgumentList.Add(Dll);
        args.ToList().ForEach(info.ArgumentList.Add);
        return LaunchAsync(info);
    }

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "serving.dll");

    private static async Task<ServingProcess> LaunchAsync(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new ServingProcess(Process.Start(info)!);
        process._process.OutputDataReceived += (_, e) => process.OnLine(e.Data);
        process._process.ErrorDataReceived += (_, e) => process.OnLine(e.Data);
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        var match = await process._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        process.RestPort = int.Parse(match.Groups["rest"].Value, System.Globalization.CultureInfo.InvariantCulture);
        process.GrpcPort = int.Parse(match.Groups["grpc"].Value, System.Globalization.CultureInfo.InvariantCulture);
        return process;
    }

    /// <summary>Whether the process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Sends SIGTERM, as Kubernetes does.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        await _process.WaitForExitAsync().WaitAsync(limit);
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _ready.TrySetException(new InvalidOperationException("serving exited before it was ready:\n" + Output));
            return;
        }

        _output.Enqueue(line);
        var match = ReadyLine().Match(line);
        if (match.Success)
        {
            _ready.TrySetResult(match);
        }
    }

    // A worker's or gateway's ready line, serving up's gateway line, or the drift monitor's ready line.
    [GeneratedRegex(@"(?:ready:|serving up: gateway) REST http://[^:]+:(?<rest>\d+)\s+gRPC [^:]+:(?<grpc>\d+)|drift ready: ingest gRPC [^:]+:(?<grpc>\d+)\s+report http://[^:]+:(?<rest>\d+)")]
    private static partial Regex ReadyLine();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
