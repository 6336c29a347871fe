using System.Reflection;

namespace Serving.Worker.Endpoints;

/// <summary>What <c>GET /v2</c> and ServerMetadata answer.</summary>
internal static class ServerInfo
{
    public const string Name = "serving";

    public static readonly string Version =
        typeof(ServerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The protocol extensions this server implements.</summary>
    public static readonly string[] Extensions = ["binary_tensor_data", "classification", "model_configuration", "model_repository", "statistics"];
}
