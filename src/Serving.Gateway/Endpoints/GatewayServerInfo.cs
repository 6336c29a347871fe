using System.Reflection;

namespace Serving.Gateway.Endpoints;

/// <summary>What <c>GET /v2</c> and ServerMetadata answer at the gateway.</summary>
internal static class GatewayServerInfo
{
    public const string Name = "serving";

    public static readonly string Version =
        typeof(GatewayServerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Binary tensors pass through the gateway untouched. The repository extension is not claimed: the gateway answers its
    /// index (across the workers) but not load and unload, which stay with each worker.
    /// </summary>
    public static readonly string[] Extensions = ["binary_tensor_data", "classification", "model_configuration", "statistics"];
}
