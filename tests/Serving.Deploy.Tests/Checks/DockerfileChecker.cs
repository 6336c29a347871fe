using System.Text.RegularExpressions;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests.Checks;

/// <summary>The Dockerfile against the code: SDK/runtime version, the published executable, ENV keys, EXPOSE, CMD, the health check.</summary>
internal static partial class DockerfileChecker
{
    public const string ServingProject = "src/Serving/Serving.csproj";

    public static List<string> Check(DockerfileModel docker)
    {
        var problems = new List<string>();
        CheckVersion(docker, problems);
        CheckExecutable(docker, problems);
        CheckUser(docker, problems);
        CheckEnvironment(docker, problems);
        CheckExpose(docker, problems);
        CheckCommand(docker, problems);
        CheckHealthCheck(docker, problems);
        return problems;
    }

    /// <summary>The health check script and the ports it tries by default, by component (from its Serving__X__RestPort fallbacks).</summary>
    public static (string Script, string Path, List<(string Component, string Property, int Port)> Ports)? HealthCheck(DockerfileModel docker)
    {
        var command = docker.ExecForm("HEALTHCHECK");
        if (command is not { Count: > 0 } || !docker.HeredocFiles().TryGetValue(command[0], out var script))
        {
            return null;
        }

        var path = HealthPath().Match(script) is { Success: true } p ? p.Groups[1].Value : "";
        var ports = HealthPort().Matches(script)
            .Select(m => (Section: ConfigurationKeys.FromEnvironment(m.Groups[1].Value), Property: m.Groups[2].Value, Port: int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Select(x => (Component: Roles.Components.FirstOrDefault(c => ConfigurationKeys.SectionOf(c.Value).Equals(x.Section, StringComparison.OrdinalIgnoreCase)).Key ?? x.Section, x.Property, x.Port))
            .ToList();
        return (script, path, ports);
    }

    private static void CheckVersion(DockerfileModel docker, List<string> problems)
    {
        var framework = Code.ProjectProperty("Directory.Build.props", "TargetFramework") ?? "";
        var version = docker.GlobalArgs().GetValueOrDefault("DOTNET_VERSION");
        if ($"net{version}" != framework)
        {
            problems.Add($"ARG DOTNET_VERSION={version} does not match the TargetFramework {framework} (Directory.Build.props)");
        }

        foreach (var image in new[] { "mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}", "mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}" })
        {
            if (!docker.Instructions.Any(i => i.Keyword == "FROM" && i.Arguments.StartsWith(image, StringComparison.Ordinal)))
            {
                problems.Add($"no stage FROM {image}");
            }
        }
    }

    private static void CheckExecutable(DockerfileModel docker, List<string> problems)
    {
        var assembly = Code.ProjectProperty(ServingProject, "AssemblyName");
        var publish = docker.Instructions.FirstOrDefault(i => i.Keyword == "RUN" && i.Arguments.Contains($"dotnet publish {ServingProject}", StringComparison.Ordinal));
        var output = publish is null ? null : PublishOutput().Match(publish.Arguments) is { Success: true } m ? m.Groups[1].Value : null;
        if (output is null)
        {
            problems.Add($"no RUN dotnet publish {ServingProject} -o <folder>");
            return;
        }

        if (!publish!.Arguments.Contains("-p:OnnxRuntimeGpu=", StringComparison.Ordinal)
            || !File.ReadAllText(Path.Combine(Serving.Testing.RepoPaths.Root, "src/Serving.Worker/Serving.Worker.csproj")).Contains("'$(OnnxRuntimeGpu)' == 'true'", StringComparison.Ordinal))
        {
            problems.Add("the publish does not pass -p:OnnxRuntimeGpu=..., the property src/Serving.Worker/Serving.Worker.csproj switches the GPU package on");
        }

        if (!docker.Final("COPY").Any(c => c.Arguments.Contains($"--from=build {output}", StringComparison.Ordinal)))
        {
            problems.Add($"the final stage does not copy the published folder {output}");
        }

        var entrypoint = docker.ExecForm("ENTRYPOINT");
        if (entrypoint is not [var exe] || exe != assembly)
        {
            problems.Add($"ENTRYPOINT is [{string.Join(", ", entrypoint ?? [])}], expected [\"{assembly}\"] (the AssemblyName of {ServingProject})");
        }
        else if (!docker.Final("RUN").Any(r => r.Arguments.Contains($"ln -s {output}/{assembly} /usr/local/bin/{assembly}", StringComparison.Ordinal)))
        {
            problems.Add($"ENTRYPOINT [\"{assembly}\"] is not on PATH: no ln -s {output}/{assembly} /usr/local/bin/{assembly}");
        }
    }

    private static void CheckUser(DockerfileModel docker, List<string> problems)
    {
        var user = docker.Final("USER").LastOrDefault()?.Arguments.Split(':')[0];
        if (user is null or "root" or "0")
        {
            problems.Add($"the image runs as root (USER {user ?? "missing"})");
        }
    }

    private static void CheckEnvironment(DockerfileModel docker, List<string> problems)
    {
        var env = docker.Environment();
        foreach (var (name, value) in env)
        {
            if (ContainerChecks.EnvironmentProblem(name, value, role: null) is { } problem)
            {
                problems.Add($"ENV {name}: {problem}");
            }
        }

        var models = docker.Final("COPY").FirstOrDefault(c => c.Arguments.StartsWith("models/ ", StringComparison.Ordinal))?.Arguments.Split(' ')[^1].TrimEnd('/');
        if (models is null)
        {
            problems.Add("the final stage does not COPY models/");
        }

        foreach (var key in new[] { "Serving__Worker__ModelRepository", "Serving__Drift__ModelRepository" })
        {
            if (env.GetValueOrDefault(key) != models)
            {
                problems.Add($"ENV {key}={env.GetValueOrDefault(key)} is not where the models are copied ({models})");
            }
        }
    }

    private static void CheckExpose(DockerfileModel docker, List<string> problems)
    {
        var exposed = docker.Final("EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var ports = Roles.DefaultPorts().ToHashSet();
        foreach (var extra in exposed.Except(ports))
        {
            problems.Add($"EXPOSE {extra}: no role listens on it by default");
        }

        foreach (var missing in ports.Except(exposed))
        {
            problems.Add($"port {missing} (a role's default) is not EXPOSEd");
        }
    }

    private static void CheckCommand(DockerfileModel docker, List<string> problems)
    {
        var cmd = docker.ExecForm("CMD");
        if (cmd is null)
        {
            problems.Add("no CMD in exec form");
            return;
        }

        problems.AddRange(CliInvocation.Parse(cmd).Problems.Select(p => $"CMD: {p}"));
    }

    private static void CheckHealthCheck(DockerfileModel docker, List<string> problems)
    {
        if (HealthCheck(docker) is not { } check)
        {
            problems.Add("no HEALTHCHECK CMD [\"<script>\"] whose script the final stage writes (COPY <<EOF)");
            return;
        }

        if (check.Path != "/v2/health/ready")
        {
            problems.Add($"the health check asks {check.Path}, not the Open Inference Protocol readiness path /v2/health/ready");
        }

        foreach (var component in Roles.Components.Keys.Where(c => !check.Ports.Any(p => p.Component == c)))
        {
            problems.Add($"the health check tries no port of the {component}");
        }

        foreach (var (component, property, port) in check.Ports)
        {
            if (!Roles.Components.ContainsKey(component) || !Roles.PortProperties(component).Contains(property))
            {
                problems.Add($"the health check reads {component}:{property}, which is no port option");
            }
            else if (!Equals(Roles.Default(component, property), port))
            {
                problems.Add($"the health check's fallback for the {component} {property} is {port}, the code's default is {Roles.Default(component, property)}");
            }
        }
    }

    [GeneratedRegex(@"-o\s+(\S+)")]
    private static partial Regex PublishOutput();

    [GeneratedRegex(@"(?m)^path=(\S+)")]
    private static partial Regex HealthPath();

    [GeneratedRegex(@"\$\{(Serving__\w+?)__(\w+Port):-(\d+)\}")]
    private static partial Regex HealthPort();
}
