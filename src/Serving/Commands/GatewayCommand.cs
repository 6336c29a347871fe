using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Hosting;

namespace Serving.Commands;

/// <summary>
/// <c>serving gateway</c>: the front door (REST 8000, gRPC 8001, metrics 8002, admin 8003 on
/// 127.0.0.1 when a token is configured) in front of the workers named with <c>--worker</c>.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var command = new Command("gateway", "Run a gateway: routes Open Inference Protocol requests to workers by model version (weights, sticky callers, pins, shadow traffic).");
        var workers = new Option<string[]>("--worker") { Description = "A worker as HOST:REST_PORT:GRPC_PORT (repeat the option for each worker)" };
        var dnsWorkers = new Option<string[]>("--worker-dns") { Description = "A DNS name resolved every round to all its addresses, as NAME:REST_PORT:GRPC_PORT (a Kubernetes headless Service; repeat the option for each name)" };
        var bind = new Option<string?>("--bind") { Description = "Address the REST, gRPC and metrics ports listen on (default 0.0.0.0)" };
        var restPort = PortOption.Create("--rest-port", "REST port (default 8000; 0 = any free port)");
        var grpcPort = PortOption.Create("--grpc-port", "gRPC port (default 8001; 0 = any free port)");
        var metricsPort = PortOption.Create("--metrics-port", "Prometheus metrics port (default 8002; 0 = any free port)");
        var adminPort = PortOption.Create("--admin-port", "Admin API port (default 8003; 0 = any free port; on only with Serving__Gateway__AdminToken set)");
        var adminBind = new Option<string?>("--admin-bind") { Description = "Address the admin API listens on (default 127.0.0.1)" };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string: keep policies there and share them with the other gateways" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for the policy file when no Redis is configured (default data/gateway)" };
        foreach (var option in new Option[] { workers, dnsWorkers, bind, restPort, grpcPort, metricsPort, adminPort, adminBind, redis, dataDir })
        {
            command.Add(option);
        }

        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            Dictionary<string, string?> config;
            try
            {
                config = WorkerConfiguration(result.GetValue(workers) ?? [], result.GetValue(dnsWorkers) ?? []);
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"serving gateway: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            Set(config, "BindAddress", result.GetValue(bind));
            Set(config, "RestPort", result.GetValue(restPort)?.ToString(CultureInfo.InvariantCulture));
            Set(config, "GrpcPort", result.GetValue(grpcPort)?.ToString(CultureInfo.InvariantCulture));
            Set(config, "MetricsPort", result.GetValue(metricsPort)?.ToString(CultureInfo.InvariantCulture));
            Set(config, "AdminPort", result.GetValue(adminPort)?.ToString(CultureInfo.InvariantCulture));
            Set(config, "AdminBindAddress", result.GetValue(adminBind));
            Set(config, "RedisConnectionString", result.GetValue(redis));
            Set(config, "DataDirectory", result.GetValue(dataDir));
            return await RoleRunner.RunAsync(
                result, () => GatewayHost.Build([.. result.UnmatchedTokens], config), Describe, new("--rest-port, --grpc-port, --metrics-port or --admin-port"), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Where the gateway listens, printed once it has started (port 0 shows the bound port).</summary>
    internal static string Describe(WebApplication app)
    {
        var l = app.Services.GetRequiredService<GatewayListeners>();
        var o = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var admin = l.AdminEnabled ? $"admin http://{o.AdminBindAddress}:{l.AdminPort}/admin" : "admin off (no Serving:Gateway:AdminToken)";
        return $"REST http://{o.BindAddress}:{l.RestPort}  gRPC {o.BindAddress}:{l.GrpcPort}  metrics http://{o.BindAddress}:{l.MetricsPort}/metrics  {admin}";
    }

    /// <summary><c>HOST:REST_PORT:GRPC_PORT</c> (an IPv6 host in brackets) as <c>Serving:Gateway:Workers:N:*</c> keys.</summary>
    internal static Dictionary<string, string?> WorkerConfiguration(IEnumerable<string> workers, IEnumerable<string> dnsWorkers)
    {
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        foreach (var (spec, dns) in workers.Select(w => (w, false)).Concat(dnsWorkers.Select(w => (w, true))))
        {
            var parts = spec.Split(':');
            if (parts.Length < 3 || !ushort.TryParse(parts[^2], out var rest) || !ushort.TryParse(parts[^1], out var grpc) || rest == 0 || grpc == 0)
            {
                throw new FormatException(dns
                    ? $"--worker-dns '{spec}' is not NAME:REST_PORT:GRPC_PORT (e.g. serving-workers:8080:8081)"
                    : $"--worker '{spec}' is not HOST:REST_PORT:GRPC_PORT (e.g. 10.0.0.5:8080:8081)");
            }

            var host = string.Join(':', parts[..^2]);
            var prefix = $"{GatewayOptions.Section}:Workers:{i++}:";
            config[prefix + "Rest"] = $"http://{host}:{rest}";
            config[prefix + "Grpc"] = $"http://{host}:{grpc}";
            config[prefix + "ResolveDns"] = dns ? "true" : "false";
        }

        return config;
    }

    private static void Set(Dictionary<string, string?> config, string key, string? value) =>
        config.SetGiven($"{GatewayOptions.Section}:{key}", value);
}
