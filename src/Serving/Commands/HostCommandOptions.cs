using System.CommandLine;

namespace Serving.Commands;

/// <summary>Options every role command shares, mapped onto configuration keys.</summary>
internal sealed class HostCommandOptions
{
    public Option<string?> Models { get; } = new("--models") { Description = "Model repository folder (default: ./models, or the repository's models/ found above the executable)" };

    public Option<string?> Bind { get; } = new("--bind") { Description = "Address to listen on" };

    public Option<int?> RestPort { get; } = PortOption.Create("--rest-port", "REST port (0 = any free port)");

    public Option<int?> GrpcPort { get; } = PortOption.Create("--grpc-port", "gRPC port (0 = any free port)");

    public Option<int?> MetricsPort { get; } = PortOption.Create("--metrics-port", "Prometheus metrics port (0 = any free port)");

    public void AddTo(Command command)
    {
        command.Add(Models);
        command.Add(Bind);
        command.Add(RestPort);
        command.Add(GrpcPort);
        command.Add(MetricsPort);
        command.TreatUnmatchedTokensAsErrors = false;
    }

    /// <summary>Configuration overrides from the options given, over <paramref name="defaults"/>.</summary>
    public Dictionary<string, string?> ToConfiguration(ParseResult result, Dictionary<string, string?> defaults)
    {
        var config = new Dictionary<string, string?>(defaults, StringComparer.OrdinalIgnoreCase);
        config.SetGiven("Serving:Worker:ModelRepository", result.GetValue(Models));
        config.SetGiven("Serving:Worker:BindAddress", result.GetValue(Bind));
        config.SetGiven("Serving:Worker:RestPort", result.GetValue(RestPort)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        config.SetGiven("Serving:Worker:GrpcPort", result.GetValue(GrpcPort)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        config.SetGiven("Serving:Worker:MetricsPort", result.GetValue(MetricsPort)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return config;
    }
}
