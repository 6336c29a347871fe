using System.Globalization;
using System.Text.RegularExpressions;
using Serving.Drift.Hosting;
using Serving.Gateway.Configuration;
using Serving.Worker.Configuration;

namespace Serving.Deploy.Tests.Checks;

/// <summary>
/// Which ports a role listens on, from its options classes: every int property named *Port, its
/// default, overridden by configuration and by the command's own option (<c>RestPort</c> ↔ <c>--rest-port</c>).
/// </summary>
internal static partial class Roles
{
    /// <summary>The options type of each server component.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Components = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["worker"] = typeof(WorkerOptions),
        ["gateway"] = typeof(GatewayOptions),
        ["drift"] = typeof(DriftOptions),
    };

    /// <summary>The port properties of a component (RestPort, GrpcPort, ...).</summary>
    public static IEnumerable<string> PortProperties(string component) =>
        Components[component].GetProperties().Where(p => p.PropertyType == typeof(int) && p.Name.EndsWith("Port", StringComparison.Ordinal)).Select(p => p.Name);

    /// <summary>Every default port of every component: what one image for all roles exposes.</summary>
    public static IEnumerable<int> DefaultPorts() =>
        Components.Keys.SelectMany(c => PortProperties(c).Select(p => Default(c, p))).Select(v => Convert.ToInt32(v, CultureInfo.InvariantCulture));

    /// <summary>The default of a component's option (e.g. worker RestPort → 8080).</summary>
    public static object? Default(string component, string property) =>
        ConfigurationKeys.Default(ConfigurationKeys.SectionOf(Components[component]), property);

    /// <summary>The listeners of a parsed command under the given configuration (colon keys).</summary>
    public static IReadOnlyList<Listener> Listeners(CliInvocation cli, IReadOnlyDictionary<string, string?> config)
    {
        // `serving up`: the gateway on the command's ports, the drift monitor on --drift-*-port (the worker picks free loopback ports).
        var parts = cli.Role switch
        {
            "worker" or "gateway" or "drift" => new[] { (Component: cli.Role, Prefix: "", Bind: (string?)null) },
            "up" => [("gateway", "", cli.Option("--bind") ?? "127.0.0.1"), ("drift", "drift-", "127.0.0.1")],
            _ => [],
        };
        var listeners = new List<Listener>();
        foreach (var (component, prefix, fixedBind) in parts)
        {
            var section = ConfigurationKeys.SectionOf(Components[component]);
            foreach (var property in PortProperties(component))
            {
                if (property == "AdminPort" && !config.ContainsKey($"{section}:AdminToken"))
                {
                    continue; // the admin API listens only with a token
                }

                var port = cli.Option($"--{prefix}{Kebab(property)}") ?? Value(config, section, property) ?? Default(component, property)!.ToString();
                var bind = property == "AdminPort"
                    ? cli.Option("--admin-bind") ?? Value(config, section, "AdminBindAddress") ?? (string)Default(component, "AdminBindAddress")!
                    : fixedBind ?? Value(config, section, property[..^"Port".Length] + "BindAddress") // the drift monitor's GrpcBindAddress
                        ?? cli.Option("--bind") ?? Value(config, section, "BindAddress") ?? (string)Default(component, "BindAddress")!;
                listeners.Add(new Listener(component, property, int.Parse(port!, CultureInfo.InvariantCulture), bind));
            }
        }

        return listeners;
    }

    /// <summary>RestPort → rest-port.</summary>
    public static string Kebab(string property) => KebabBoundary().Replace(property, "-$1").ToLowerInvariant();

    private static string? Value(IReadOnlyDictionary<string, string?> config, string section, string property) =>
        config.TryGetValue($"{section}:{property}", out var v) ? v : null;

    [GeneratedRegex("(?<!^)([A-Z])")]
    private static partial Regex KebabBoundary();
}
