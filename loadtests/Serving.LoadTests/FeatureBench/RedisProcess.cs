using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// A real <c>redis-server</c> this process starts on 127.0.0.1 and a free port, working in its own temp folder
/// with persistence off; killed and its folder deleted on dispose. Also the bench's own client of it.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly ConnectionMultiplexer _client;

    private RedisProcess(Process process, string directory, int port, ConnectionMultiplexer client, string version)
    {
        _process = process;
        _directory = directory;
        _client = client;
        Port = port;
        Version = version;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The server's version (<c>INFO server</c>).</summary>
    public string Version { get; }

    /// <summary>The StackExchange.Redis connection string the worker is given.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},abortConnect=false";

    /// <summary>The bench's own connection (loading features, reading counters).</summary>
    public IDatabase Database => _client.GetDatabase();

    /// <summary>Starts redis-server; a missing binary is a <see cref="LoadTestException"/> that says how to install it.</summary>
    public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("serving-features-bench-redis-").FullName;
        var port = FreePort();
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        foreach (var arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no", "--protected-mode", "no" })
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new LoadTestException("redis-server did not start");
        }
        catch (Win32Exception e)
        {
            Directory.Delete(directory, recursive: true);
            throw new LoadTestException("redis-server is not installed (or not on PATH): apt-get install redis-server, then run the bench again", e);
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var client = await ConnectAsync(process, port, cancellationToken);
            var version = ReadField(await client.GetServer("127.0.0.1", port).InfoRawAsync("server") ?? string.Empty, "redis_version") ?? "?";
            return new RedisProcess(process, directory, port, client, version);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>The server's <c>INFO commandstats</c> now.</summary>
    public async Task<CommandStats> CommandStatsAsync() =>
        CommandStats.Parse(await _client.GetServer("127.0.0.1", Port).InfoRawAsync("commandstats") ?? string.Empty);

    /// <summary>CPU seconds the server has used so far (<c>INFO cpu</c>: user + system).</summary>
    public async Task<double> CpuSecondsAsync()
    {
        var info = await _client.GetServer("127.0.0.1", Port).InfoRawAsync("cpu") ?? string.Empty;
        return Seconds(ReadField(info, "used_cpu_user")) + Seconds(ReadField(info, "used_cpu_sys"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        Kill(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    /// <summary>A field of an INFO reply (<c>name:value</c> lines), or null.</summary>
    internal static string? ReadField(string info, string name) =>
        info.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    private static double Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;

    private static async Task<ConnectionMultiplexer> ConnectAsync(Process process, int port, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new LoadTestException($"redis-server exited at start with code {process.ExitCode} (port {port} taken?): run the bench again");
            }

            try
            {
                var client = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)},connectTimeout=500,abortConnect=true,allowAdmin=true");
                await client.GetDatabase().PingAsync();
                return client;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (RedisConnectionException e)
            {
                throw new LoadTestException($"redis-server on port {port} did not answer within 20 s: {e.Message}", e);
            }
        }
    }

    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(5000);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
