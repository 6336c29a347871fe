namespace Serving.Deploy.Tests.Checks;

/// <summary>A port a container declares (Kubernetes containerPort, compose published container port).</summary>
internal sealed record DeclaredPort(string? Name, int Number);

/// <summary>
/// A container that runs the serving image, from any manifest: its command line parsed by the real
/// command tree, its configuration (image ENV &lt; container env &lt; command-line keys) and listeners.
/// </summary>
internal sealed class ServingContainer
{
    public ServingContainer(
        string source, string group, IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment,
        IReadOnlyList<DeclaredPort> ports, IReadOnlyDictionary<string, string?> imageEnvironment)
    {
        Source = source;
        Group = group;
        Args = args;
        Environment = environment;
        Ports = ports;
        Cli = CliInvocation.Parse(args);
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in imageEnvironment.Concat(environment))
        {
            config[ConfigurationKeys.FromEnvironment(name)] = value;
        }

        foreach (var (key, value) in Cli.Configuration)
        {
            config[key] = value;
        }

        Configuration = config;
        Listeners = Roles.Listeners(Cli, config);
    }

    /// <summary>Where it is declared, for messages.</summary>
    public string Source { get; }

    /// <summary>Containers of one group share a network namespace (a pod; a compose service).</summary>
    public string Group { get; }

    public IReadOnlyList<string> Args { get; }

    /// <summary>Environment variables as written (null value: from a secret or the shell).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    public IReadOnlyList<DeclaredPort> Ports { get; }

    public CliInvocation Cli { get; }

    /// <summary>Effective configuration keys (colon form).</summary>
    public IReadOnlyDictionary<string, string?> Configuration { get; }

    public IReadOnlyList<Listener> Listeners { get; }

    public string Role => Cli.Role;

    public Listener? ListenerOn(int port) => Listeners.FirstOrDefault(l => l.Port == port);

    /// <summary>The listener behind a declared port name or number (a probe's or Service's targetPort).</summary>
    public Listener? ListenerFor(string portNameOrNumber) =>
        int.TryParse(portNameOrNumber, out var number)
            ? ListenerOn(number)
            : Ports.FirstOrDefault(p => p.Name == portNameOrNumber) is { } declared ? ListenerOn(declared.Number) : null;

    public override string ToString() => Source;
}
