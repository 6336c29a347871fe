using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.Deploy.Tests.Checks;
using Serving.Drift.Hosting;
using Serving.Testing;

namespace Serving.Deploy.Tests.Support;

/// <summary>
/// A real worker (the sample models), a gateway in front of it and a drift monitor, on 127.0.0.1 port 0:
/// what the manifests' probes, scrapes, health check and admin calls are replayed against.
/// </summary>
public sealed class LiveSystem : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private TempDirectory? _models;
    private TempDirectory? _archive;
    private WebApplication? _drift;

    internal WorkerServer Worker { get; private set; } = null!;

    internal GatewayServer Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _models = RepoPaths.CopyModels(RepoPaths.Models, Directory.GetDirectories(RepoPaths.Models).Select(Path.GetFileName).ToArray()!);
        _archive = new TempDirectory();
        Worker = await WorkerServer.StartAsync(_models.Path);
        Gateway = await GatewayServer.StartAsync([Worker]);
        _drift = DriftHost.Build([], new Dictionary<string, string?>
        {
            ["Serving:Drift:ModelRepository"] = _models.Path,
            ["Serving:Drift:BindAddress"] = "127.0.0.1",
            ["Serving:Drift:GrpcPort"] = "0",
            ["Serving:Drift:RestPort"] = "0",
            ["Serving:Drift:Archive:Directory"] = _archive.Path,
            ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await _drift.StartAsync();
        await WaitReadyAsync(Gateway.Http);
    }

    /// <summary>The bound port of a component's listener (its options property name, e.g. worker RestPort).</summary>
    internal int Port(string component, string property)
    {
        object listeners = component switch
        {
            "worker" => Worker.Listeners,
            "gateway" => Gateway.Listeners,
            "drift" => _drift!.Services.GetRequiredService<DriftListeners>(),
            _ => throw new ArgumentOutOfRangeException(nameof(component), component, null),
        };
        return (int)(listeners.GetType().GetProperty(property)?.GetValue(listeners) ?? 0);
    }

    /// <summary>Problems with endpoint uses: each must answer 200 on the listener it names.</summary>
    internal async Task<List<string>> CheckAsync(IEnumerable<EndpointUse> uses)
    {
        var problems = new List<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var use in uses)
        {
            var port = Port(use.Component, use.Property);
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{use.Path}"));
                if ((int)response.StatusCode != 200)
                {
                    problems.Add($"{use.Source}: GET {use.Path} on the {use.Component} {use.Property} answered {(int)response.StatusCode}");
                }
            }
            catch (HttpRequestException e)
            {
                problems.Add($"{use.Source}: GET {use.Path} on the {use.Component} {use.Property} failed: {e.Message}");
            }
        }

        return problems;
    }

    /// <summary>Problems with admin calls: each is sent to the gateway's admin API with the token and must succeed (retried while discovery catches up).</summary>
    internal async Task<List<string>> CheckAsync(IEnumerable<AdminCall> calls)
    {
        var problems = new List<string>();
        foreach (var call in calls)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                using var request = new HttpRequestMessage(new HttpMethod(call.Method), call.Path) { Content = new StringContent(call.Body, Encoding.UTF8, "application/json") };
                using var response = await Gateway.Admin!.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(10))
                {
                    problems.Add($"{call.Source}: {call.Method} {call.Path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    break;
                }

                await Task.Delay(200);
            }
        }

        return problems;
    }

    /// <summary>Problems with a model.yaml: a worker over it must serve exactly the version the manifest labels it with.</summary>
    internal static async Task<List<string>> CheckServedVersionsAsync(ModelConfigUse use)
    {
        using var repository = ModelRepositories.With(use);
        await using var worker = await WorkerServer.StartAsync(repository.Path);
        await WaitReadyAsync(worker.Http);
        using var response = await worker.Http.PostAsync("/v2/repository/index", null);
        using var index = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var ready = index.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == use.Model && e.TryGetProperty("state", out var s) && s.GetString() == "READY")
            .Select(e => e.GetProperty("version").GetString())
            .Order(StringComparer.Ordinal)
            .ToList();
        return ready.SequenceEqual([use.ExpectedVersion]) ? [] : [$"{use.Source}: the worker serves versions [{string.Join(", ", ready)}] of {use.Model}, the manifest says {use.ExpectedVersion}"];
    }

    /// <summary>Runs the image's health check script against a port; its exit code.</summary>
    internal static async Task<int> RunHealthCheckAsync(string script, int port)
    {
        using var file = new TempDirectory();
        var path = Path.Combine(file.Path, "healthcheck");
        await File.WriteAllTextAsync(path, script);
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(path);
        info.Environment["SERVING_HEALTH_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        if (_drift is not null)
        {
            await _drift.StopAsync();
            await _drift.DisposeAsync();
        }

        _models?.Dispose();
        _archive?.Dispose();
    }

    private static async Task WaitReadyAsync(HttpClient http)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync("/v2/health/ready");
            if (response.IsSuccessStatusCode || deadline.Elapsed > Patience)
            {
                return;
            }

            await Task.Delay(100);
        }
    }
}
