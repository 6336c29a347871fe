using System.Text.RegularExpressions;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests.Checks;

/// <summary>
/// deploy/compose.yaml against the code and itself: serving services (commands, environment, published
/// ports, addresses of other services), configs mounted as model.yaml, dependencies, and the traffic command.
/// </summary>
internal sealed partial class ComposeChecker : INetwork
{
    private readonly Dictionary<string, object?> _compose;
    private readonly Dictionary<string, ServingContainer> _serving = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, object?>> _services;

    public ComposeChecker(string text, IReadOnlyDictionary<string, string?> imageEnvironment)
    {
        _compose = YamlTree.Document(text);
        _services = _compose.Map("services")!.ToDictionary(s => s.Key, s => (Dictionary<string, object?>)s.Value!, StringComparer.Ordinal);
        foreach (var (name, service) in _services.Where(s => IsServing(s.Value)))
        {
            var ports = service.Strings("ports").Select(p => new DeclaredPort(null, int.Parse(p.Split(':')[^1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            _serving[name] = new ServingContainer($"compose service {name}", name, service.Strings("command"), service.StringMap("environment"), ports, imageEnvironment);
        }
    }

    public List<string> Problems { get; } = [];

    public List<ModelConfigUse> ModelConfigs { get; } = [];

    public List<AdminCall> AdminCalls { get; } = [];

    public ComposeChecker Run()
    {
        foreach (var (name, container) in _serving)
        {
            ContainerChecks.Check(container, this, Problems);
            CheckConfigs(name, _services[name]);
            if (container.Cli.Command == "traffic set" && container.Cli.Problems.Count == 0)
            {
                // The body `serving traffic set` would send; it refuses arguments it can't turn into one (exit 2).
                try
                {
                    var body = Code.PolicyBody(container.Cli.Arguments.Skip(1), container.Cli.Option("--sticky-header"), container.Cli.Option("--pin-header"), container.Cli.Option("--shadow"));
                    AdminCalls.Add(new AdminCall($"compose service {name}", "PUT", $"/admin/models/{container.Cli.Arguments[0]}/policy", body));
                }
                catch (FormatException e)
                {
                    Problems.Add($"compose service {name}: `serving traffic set` would refuse its arguments: {e.Message}");
                }
            }
        }

        foreach (var (name, service) in _services)
        {
            foreach (var (dependency, condition) in Dependencies(service))
            {
                if (!_services.TryGetValue(dependency, out var target))
                {
                    Problems.Add($"compose service {name}: depends on {dependency}, which is no service");
                }
                else if (condition == "service_healthy" && target.Map("healthcheck") is { } check && check.Str("disable") == "true")
                {
                    Problems.Add($"compose service {name}: waits for {dependency} to be healthy, but its health check is disabled");
                }
            }
        }

        return this;
    }

    public IReadOnlyList<Target> Resolve(ServingContainer from, string host, int port, List<string> problems)
    {
        var name = host is "127.0.0.1" or "localhost" ? from.Group : host;
        if (_serving.TryGetValue(name, out var container))
        {
            if (container.ListenerOn(port) is { } listener)
            {
                return [new Target(container, listener, $"{container.Source} ({listener})")];
            }

            problems.Add($"{container.Source} does not listen on {port}");
            return [];
        }

        if (!_services.TryGetValue(name, out var other))
        {
            problems.Add($"no compose service {name}");
            return [];
        }

        if (other.Str("image") is { } image && image.StartsWith("redis", StringComparison.Ordinal) && port != 6379)
        {
            problems.Add($"{name} is Redis, which listens on 6379");
        }

        return [new Target(null, null, $"compose service {name}")];
    }

    private void CheckConfigs(string name, Dictionary<string, object?> service)
    {
        foreach (var config in service.Maps("configs"))
        {
            var content = _compose.Map("configs").Map(config.Str("source") ?? "").Str("content");
            if (content is null)
            {
                Problems.Add($"compose service {name}: config {config.Str("source")} is not a top-level config with content");
            }
            else if (ModelConfigPath().Match(config.Str("target") ?? "") is { Success: true } m)
            {
                ModelConfigs.Add(new ModelConfigUse($"compose service {name} config {config.Str("source")}", m.Groups[1].Value, content, service.StringMap("labels").GetValueOrDefault("serving.model-version")));
            }
        }
    }

    private static IEnumerable<(string Name, string? Condition)> Dependencies(Dictionary<string, object?> service) =>
        service.TryGetValue("depends_on", out var value)
            ? value switch
            {
                List<object?> list => list.OfType<string>().Select(s => (s, (string?)null)),
                Dictionary<string, object?> map => map.Select(d => (d.Key, (d.Value as Dictionary<string, object?>).Str("condition"))),
                _ => [],
            }
            : [];

    /// <summary>Services that run the image built from the Dockerfile.</summary>
    private static bool IsServing(Dictionary<string, object?> service) =>
        service.Map("build").Str("dockerfile") == "Dockerfile" || (service.Str("image") ?? "").Contains("serving", StringComparison.Ordinal);

    [GeneratedRegex(@"^/models/([^/]+)/model\.(yaml|yml|json)$")]
    private static partial Regex ModelConfigPath();
}
