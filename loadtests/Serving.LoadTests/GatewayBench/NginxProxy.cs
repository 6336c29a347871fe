using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Serving.LoadTests.GatewayBench;

/// <summary>
/// nginx as a child process (<c>nginx -p DIR -c nginx.conf -g 'daemon off;'</c>) with a generated config in a temp
/// folder, in front of the worker. Disposing stops it (SIGTERM, then a kill of the whole tree) and deletes the folder;
/// if this process exits another way first, its exit handler kills nginx.
/// </summary>
internal sealed partial class NginxProxy : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int Attempts = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly string _directory;
    private readonly EventHandler _onExit;

    private NginxProxy(Process process, NginxSettings settings, string config)
    {
        _process = process;
        _directory = settings.Prefix;
        Addresses = TargetAddresses.Loopback(settings.GrpcPort, settings.RestPort);
        Config = config;
        _onExit = (_, _) => KillTree();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    /// <summary>Where nginx listens.</summary>
    public TargetAddresses Addresses { get; }

    /// <summary>The <c>nginx.conf</c> it runs with.</summary>
    public string Config { get; }

    /// <summary>Starts nginx in front of <paramref name="worker"/> and returns once both its ports accept connections.</summary>
    public static async Task<NginxProxy> StartAsync(NginxBinary binary, TargetAddresses worker, string workerProcesses, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var ports = LoopbackPorts.Reserve(2);
            var settings = new NginxSettings(CreateDirectory(), ports[0], ports[1], worker, workerProcesses);
            try
            {
                return await StartOnceAsync(binary, settings, cancellationToken);
            }
            catch (Exception e) when (e is LoadTestException && attempt < Attempts && e.Message.Contains("Address already in use", StringComparison.Ordinal))
            {
                // Another process took a reserved port in the meantime: new ports.
                DeleteDirectory(settings.Prefix);
            }
            catch
            {
                DeleteDirectory(settings.Prefix);
                throw;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        try
        {
            if (!_process.HasExited)
            {
                // Fast shutdown: the master stops its worker processes and exits.
                if (!OperatingSystem.IsWindows())
                {
                    _ = SendSignal(_process.Id, SigTerm);
                }

                using var wait = new CancellationTokenSource(StopTimeout);
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    KillTree();
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            _process.Dispose();
            DeleteDirectory(_directory);
        }
    }

    private static async Task<NginxProxy> StartOnceAsync(NginxBinary binary, NginxSettings settings, CancellationToken cancellationToken)
    {
        var config = NginxConfig.Render(settings);
        await File.WriteAllTextAsync(Path.Combine(settings.Prefix, "nginx.conf"), config, cancellationToken);
        var start = new ProcessStartInfo(binary.Path)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = settings.Prefix,
        };
        foreach (var arg in new[] { "-p", settings.Prefix + "/", "-c", "nginx.conf", "-g", "daemon off;" })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) => Keep(output, e.Data);
        process.OutputDataReceived += (_, e) => Keep(output, e.Data);
        try
        {
            if (!process.Start())
            {
                throw new LoadTestException($"'{binary.Path}' did not start");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new LoadTestException($"cannot run '{binary.Path}': {e.Message}", e);
        }

        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var proxy = new NginxProxy(process, settings, config);
        try
        {
            await WaitUntilListeningAsync(proxy, settings, output, cancellationToken);
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitUntilListeningAsync(NginxProxy proxy, NginxSettings settings, ConcurrentQueue<string> output, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (proxy._process.HasExited)
            {
                // Also waits for the redirected output to be read to its end, so the message has what nginx said.
                await proxy._process.WaitForExitAsync(cancellationToken);
                throw new LoadTestException($"nginx exited at start (code {proxy._process.ExitCode}): {Problems(settings.Prefix, output)}");
            }

            if (await LoopbackPorts.AcceptsAsync(settings.GrpcPort, cancellationToken) && await LoopbackPorts.AcceptsAsync(settings.RestPort, cancellationToken))
            {
                return;
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new LoadTestException($"nginx did not listen on ports {settings.GrpcPort} and {settings.RestPort} within {StartTimeout.TotalSeconds:F0} s: {Problems(settings.Prefix, output)}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>What nginx said on stderr and in its error log, for the message.</summary>
    private static string Problems(string prefix, ConcurrentQueue<string> output)
    {
        var log = Path.Combine(prefix, "error.log");
        var lines = output.Concat(File.Exists(log) ? File.ReadLines(log) : []).Distinct().TakeLast(10).ToList();
        return lines.Count == 0 ? "it printed nothing" : string.Join(" | ", lines);
    }

    private static void Keep(ConcurrentQueue<string> output, string? line)
    {
        if (!string.IsNullOrWhiteSpace(line) && output.Count < 100)
        {
            output.Enqueue(line);
        }
    }

    /// <summary>A 0755 folder: nginx's worker processes may run as another user (nobody) when the master runs as root.</summary>
    private static string CreateDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"serving-gateway-bench-nginx-{Environment.ProcessId}-{Guid.NewGuid():N}");
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        foreach (var folder in new[] { path, Path.Combine(path, "temp") })
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, mode);
            }
        }

        return path;
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
