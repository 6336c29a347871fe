using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Serving.Testing;

/// <summary>
/// A real <c>redis-server</c> on 127.0.0.1 and a free port, with no persistence. It can be stopped
/// and started again on the same port, for outage tests. Needs redis-server on PATH (test.sh installs it).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;
    private ConnectionMultiplexer? _client;

    private RedisServer(int port)
    {
        Port = port;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000";

    /// <summary>A client for the test's own reads and writes.</summary>
    public IDatabase Database => (_client ??= ConnectionMultiplexer.Connect(ConnectionString + ",allowAdmin=true")).GetDatabase();

    /// <summary>Starts a server on a free port.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort());
        await server.StartAgainAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>(Re)starts the server on <see cref="Port"/>; waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            _process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: run ./test.sh (it installs it) or apt-get install redis-server", e);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},connectTimeout=500").ConfigureAwait(false);
                await probe.GetDatabase().PingAsync().ConfigureAwait(false);
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and every command waits, as on a stalled Redis.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a paused server go on (SIGCONT); the commands it held are answered.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Kills the server (an outage); <see cref="StartAgainAsync"/> brings it back, empty.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }
    }

    /// <summary>The <c>calls</c> count of a command in <c>INFO commandstats</c> (0 if never called).</summary>
    public async Task<long> CommandCallsAsync(string command)
    {
        var server = Database.Multiplexer.GetServer("127.0.0.1", Port);
        var info = await server.InfoRawAsync("commandstats").ConfigureAwait(false);
        foreach (var line in (info ?? "").Split('\n'))
        {
            if (line.StartsWith($"cmdstat_{command}:", StringComparison.Ordinal))
            {
                var calls = line.Split(',')[0].Split('=')[1];
                return long.Parse(calls, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Resets <c>INFO commandstats</c>.</summary>
    public Task ResetStatsAsync() => Database.Multiplexer.GetServer("127.0.0.1", Port).ConfigResetStatisticsAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }

        Stop();
        _process?.Dispose();
    }
}
