using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;

namespace Serving.Commands;

/// <summary><c>serving drift</c>: the drift monitor (gRPC ingest 8090, REST report/metrics 8091 by default).</summary>
internal static class DriftCommand
{
    public static Command Create()
    {
        var command = new Command("drift", "Run the drift monitor: takes prediction logs from workers over gRPC, scores drift against each version's reference profile, archives the records.");
        var models = new Option<string?>("--models") { Description = "Model repository with the reference profiles (default: ./models, or the repository's models/ found above the executable)" };
        var bind = new Option<string?>("--bind") { Description = "Address to listen on" };
        var grpcPort = PortOption.Create("--grpc-port", "gRPC ingest port (default 8090; 0 = any free port)");
        var restPort = PortOption.Create("--rest-port", "REST port for /v2/drift/report, health and /metrics (default 8091; 0 = any free port)");
        var archive = new Option<string?>("--archive") { Description = "Folder of the prediction-log archive (default ./prediction-logs)" };
        command.Add(models);
        command.Add(bind);
        command.Add(grpcPort);
        command.Add(restPort);
        command.Add(archive);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) =>
        {
            var config = Configuration(
                result.GetValue(models),
                result.GetValue(bind),
                result.GetValue(grpcPort),
                result.GetValue(restPort),
                result.GetValue(archive));
            return RoleRunner.RunAsync(result, () => DriftHost.Build([.. result.UnmatchedTokens], config, fallbacks: ModelRepositoryLocator.Fallback("Serving:Drift:ModelRepository")), Describe, new("--grpc-port or --rest-port"), cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Configuration overrides for a drift host from the values given (null: keep the default). For
    /// <c>serving up</c>: build the host with <c>DriftHost.Build(args, Configuration(...))</c> and point the
    /// worker's <c>Serving:Worker:PredictionLogs:Endpoint</c> at <see cref="IngestEndpoint"/>.
    /// </summary>
    public static Dictionary<string, string?> Configuration(string? models, string? bind, int? grpcPort, int? restPort, string? archive)
    {
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        config.SetGiven("Serving:Drift:ModelRepository", models);
        config.SetGiven("Serving:Drift:BindAddress", bind);
        config.SetGiven("Serving:Drift:GrpcPort", grpcPort?.ToString(CultureInfo.InvariantCulture));
        config.SetGiven("Serving:Drift:RestPort", restPort?.ToString(CultureInfo.InvariantCulture));
        config.SetGiven("Serving:Drift:Archive:Directory", archive);
        return config;
    }

    /// <summary>The address a worker's prediction logs go to for a started drift host (loopback when it binds to any address).</summary>
    public static string IngestEndpoint(WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<DriftListeners>();
        return $"http://{LoopbackIfAny(IngestHost(app))}:{listeners.GrpcPort}";
    }

    /// <summary>The drift host's <c>Serving:Drift:IngestToken</c> (null without one), for <c>serving up</c>'s worker.</summary>
    public static string? IngestToken(WebApplication app) =>
        app.Services.GetRequiredService<IOptions<DriftOptions>>().Value.IngestToken is { Length: > 0 } token ? token : null;

    public static string Describe(WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<DriftListeners>();
        var host = Host(app);
        var open = IngestToken(app) is null ? "  (ingest open to anyone who reaches it: no Serving:Drift:IngestToken)" : "";
        return $"ingest gRPC {IngestHost(app)}:{listeners.GrpcPort}  report http://{host}:{listeners.RestPort}/v2/drift/report  metrics http://{host}:{listeners.RestPort}/metrics{open}";
    }

    private static string Host(WebApplication app) => app.Services.GetRequiredService<IOptions<DriftOptions>>().Value.BindAddress;

    private static string IngestHost(WebApplication app) =>
        app.Services.GetRequiredService<IOptions<DriftOptions>>().Value.GrpcBindAddress ?? Host(app);

    private static string LoopbackIfAny(string host) => host is "0.0.0.0" or "::" or "[::]" ? "127.0.0.1" : host;
}
