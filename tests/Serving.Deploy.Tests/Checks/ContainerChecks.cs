using System.Text.RegularExpressions;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests.Checks;

/// <summary>Checks of one serving container that every deployment form shares.</summary>
internal static partial class ContainerChecks
{
    private const string DriftSpinLimit = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    public static void Check(ServingContainer container, INetwork network, List<string> problems)
    {
        void Problem(string text) => problems.Add($"{container.Source}: {text}");
        container.Cli.Problems.ForEach(Problem);
        foreach (var (name, value) in container.Environment)
        {
            if (EnvironmentProblem(name, value, container.Role) is { } problem)
            {
                Problem(problem);
            }
        }

        if (container.Role == "drift" && container.Environment.GetValueOrDefault(DriftSpinLimit) != "0")
        {
            Problem($"a drift monitor should set {DriftSpinLimit}=0: between its batches the thread pool spun about a fifth of its CPU away (docs/deploy.md)");
        }

        foreach (var port in container.Ports.Where(p => container.ListenerOn(p.Number) is null))
        {
            Problem($"port {port.Number}{(port.Name is null ? "" : $" ({port.Name})")} is not one `serving {container.Cli.Command}` listens on here ({Describe(container.Listeners)})");
        }

        foreach (var reference in References(container))
        {
            CheckReference(container, network, reference, problems);
        }
    }

    /// <summary>Null when an environment variable is one the role reads; else what is wrong.</summary>
    public static string? EnvironmentProblem(string name, string? value, string? role)
    {
        var key = ConfigurationKeys.FromEnvironment(name);
        if (ConfigurationKeys.IsConfigurationKey(key))
        {
            return ConfigurationKeys.Check(key, value, role);
        }

        if (name == Code.AdminTokenVariable)
        {
            return role == "traffic" ? null : $"{name} is read by `serving traffic` only, not by `serving {role}`";
        }

        return name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal)
            ? null
            : $"environment variable {name} is read by nothing in src/ (configuration keys are Serving__Section__Key)";
    }

    private static string Describe(IReadOnlyList<Listener> listeners) =>
        listeners.Count == 0 ? "no listeners" : string.Join(", ", listeners);

    private static void CheckReference(ServingContainer from, INetwork network, Reference reference, List<string> problems)
    {
        if (!TryAddress(reference.Address, out var host, out var port))
        {
            problems.Add($"{from.Source}: {reference.What} '{reference.Address}' is not HOST:PORT or a URL");
            return;
        }

        var local = new List<string>();
        var targets = network.Resolve(from, host, port, local);
        problems.AddRange(local.Select(p => $"{from.Source}: {reference.What} {host}:{port}: {p}"));
        foreach (var target in targets)
        {
            var expected = reference.Component is null ? "a service that is not ours (Redis)" : $"{reference.Component} {reference.Property}";
            var matches = reference.Component is null
                ? target.Container is null
                : target.Listener is { } l && l.Component == reference.Component && l.Property == reference.Property;
            if (!matches)
            {
                problems.Add($"{from.Source}: {reference.What} {host}:{port} reaches {target.Description}, expected {expected}");
            }
            else if (target is { Container: { } c, Listener: { IsLoopbackOnly: true } listener } && c.Group != from.Group)
            {
                problems.Add($"{from.Source}: {reference.What} {host}:{port} reaches {c.Source}, which binds {listener.Property} to {listener.Bind} only");
            }
        }
    }

    /// <summary>Addresses a container uses, and what each must reach.</summary>
    private static IEnumerable<Reference> References(ServingContainer c)
    {
        string? Config(string key) => c.Configuration.TryGetValue(key, out var v) ? v : null;
        switch (c.Role)
        {
            case "gateway":
                foreach (var spec in c.Cli.Options.GetValueOrDefault("--worker", []).Concat(c.Cli.Options.GetValueOrDefault("--worker-dns", [])))
                {
                    var parts = spec.Split(':');
                    var host = string.Join(':', parts[..^2]);
                    yield return new Reference("--worker", $"{host}:{parts[^2]}", "worker", "RestPort");
                    yield return new Reference("--worker", $"{host}:{parts[^1]}", "worker", "GrpcPort");
                }

                foreach (var (key, value) in c.Configuration)
                {
                    if (WorkerAddressKey().Match(key) is { Success: true } m && value is not null)
                    {
                        yield return new Reference(key, value, "worker", m.Groups[1].Value.Equals("Rest", StringComparison.OrdinalIgnoreCase) ? "RestPort" : "GrpcPort");
                    }
                }

                if ((c.Cli.Option("--redis") ?? Config("Serving:Gateway:RedisConnectionString")) is { } gatewayRedis)
                {
                    yield return new Reference("the policy store", gatewayRedis, null, null);
                }

                break;
            case "worker":
                if (Config("Serving:Worker:PredictionLogs:Endpoint") is { Length: > 0 } endpoint)
                {
                    yield return new Reference("Serving:Worker:PredictionLogs:Endpoint", endpoint, "drift", "GrpcPort");
                }

                if (Config("Serving:Features:Redis") is { Length: > 0 } workerRedis)
                {
                    yield return new Reference("Serving:Features:Redis", workerRedis, null, null);
                }

                break;
            case "features":
                if ((c.Cli.Option("--redis") ?? Config("Serving:Features:Redis")) is { } featuresRedis)
                {
                    yield return new Reference("--redis", featuresRedis, null, null);
                }

                break;
            case "traffic":
                yield return new Reference("--admin", c.Cli.Option("--admin") ?? "http://127.0.0.1:8003", "gateway", "AdminPort");
                break;
        }
    }

    private static bool TryAddress(string address, out string host, out int port)
    {
        host = "";
        port = 0;
        if (address.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                return false;
            }

            (host, port) = (uri.Host, uri.Port);
            return true;
        }

        // host:port, or a StackExchange.Redis connection string (host:port,option=value,...).
        var first = address.Split(',')[0];
        var colon = first.LastIndexOf(':');
        host = colon < 0 ? first : first[..colon];
        return colon < 0 ? (port = 6379) > 0 : int.TryParse(first[(colon + 1)..], out port);
    }

    [GeneratedRegex(@"^Serving:Gateway:Workers:\d+:(Rest|Grpc)$", RegexOptions.IgnoreCase)]
    private static partial Regex WorkerAddressKey();

    private sealed record Reference(string What, string Address, string? Component, string? Property);
}
