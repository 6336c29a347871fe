using System.Text.RegularExpressions;
using Serving.Deploy.Tests.Support;

namespace Serving.Deploy.Tests.Checks;

/// <summary>
/// deploy/k8s/ against the code and against itself: serving containers (commands, env, ports, probes),
/// Services and their targetPorts, ServiceMonitors, HPAs (targets, metric names in src/), PDBs,
/// ConfigMap mounts (model.yaml parsed by the worker's loader), and the admin calls of Jobs.
/// </summary>
internal sealed partial class KubernetesChecker : INetwork
{
    private readonly List<Pod> _pods = [];
    private readonly List<Dictionary<string, object?>> _objects = [];
    private readonly IReadOnlyDictionary<string, string?> _imageEnvironment;

    /// <param name="files">(name, YAML text) of every manifest.</param>
    /// <param name="imageEnvironment">The image's ENV (from the Dockerfile).</param>
    public KubernetesChecker(IEnumerable<(string Name, string Text)> files, IReadOnlyDictionary<string, string?> imageEnvironment)
    {
        _imageEnvironment = imageEnvironment;
        foreach (var (name, text) in files)
        {
            foreach (var doc in YamlTree.Documents(text))
            {
                doc["__file"] = name;
                _objects.Add(doc);
            }
        }
    }

    public List<string> Problems { get; } = [];

    public List<EndpointUse> Endpoints { get; } = [];

    public List<ModelConfigUse> ModelConfigs { get; } = [];

    public List<AdminCall> AdminCalls { get; } = [];

    public KubernetesChecker Run()
    {
        foreach (var workload in Objects("Deployment", "StatefulSet", "Job", "DaemonSet"))
        {
            _pods.Add(new Pod(this, workload));
        }

        foreach (var pod in _pods)
        {
            CheckPod(pod);
        }

        Objects("Service").ToList().ForEach(CheckService);
        Objects("ServiceMonitor").ToList().ForEach(CheckServiceMonitor);
        Objects("HorizontalPodAutoscaler").ToList().ForEach(CheckAutoscaler);
        Objects("PodDisruptionBudget").ToList().ForEach(o => MatchPods(o, o.Map("spec").Map("selector").StringMap("matchLabels")));
        return this;
    }

    public IReadOnlyList<Target> Resolve(ServingContainer from, string host, int port, List<string> problems)
    {
        var pod = _pods.Single(p => p.Key == from.Group);
        if (host is "127.0.0.1" or "localhost" or "::1")
        {
            var local = pod.Targets(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (local.Count == 0)
            {
                problems.Add("no container of this pod listens there");
            }

            return local;
        }

        var name = ServiceHost().Match(host).Groups[1].Value;
        var service = Objects("Service").FirstOrDefault(s => Name(s) == name && Namespace(s) == pod.Namespace);
        var servicePort = service.Map("spec").Maps("ports").FirstOrDefault(p => p.Str("port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (service is null || servicePort is null)
        {
            problems.Add(service is null ? $"no Service {name} in namespace {pod.Namespace}" : $"Service {name} has no port {port}");
            return [];
        }

        return [.. MatchPods(service, Selector(service)).SelectMany(p => p.Targets(TargetPort(servicePort)))];
    }

    private static string TargetPort(Dictionary<string, object?> servicePort) => servicePort.Str("targetPort") ?? servicePort.Str("port")!;

    private void CheckPod(Pod pod)
    {
        foreach (var container in pod.Serving)
        {
            ContainerChecks.Check(container, this, Problems);
            CheckIngestExposure(container);
            var spec = pod.Spec(container);
            foreach (var kind in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            {
                if (spec.Map(kind).Map("httpGet") is not { } get)
                {
                    continue;
                }

                var port = get.Str("port") ?? "";
                if (container.ListenerFor(port) is not { } listener)
                {
                    Problems.Add($"{container.Source}: {kind} port {port} is none of its listeners");
                    continue;
                }

                Endpoints.Add(new EndpointUse($"{container.Source} {kind}", listener.Component, listener.Property, get.Str("path") ?? "/"));
            }

            if (container.Role is "worker" or "gateway")
            {
                RequireProbe(container, spec, "readinessProbe", "/v2/health/ready");
                RequireProbe(container, spec, "livenessProbe", "/v2/health/live");
            }
        }

        foreach (var spec in pod.Containers)
        {
            CheckExpansions(pod, spec);
            CheckMounts(pod, spec);
        }

        foreach (var spec in pod.Containers.Where(c => !Pod.IsServingImage(c.Str("image"))))
        {
            CheckAdminCall(pod, spec);
        }
    }

    private void RequireProbe(ServingContainer container, Dictionary<string, object?> spec, string kind, string path)
    {
        if (spec.Map(kind).Map("httpGet").Str("path") != path)
        {
            Problems.Add($"{container.Source}: the {kind} must GET the Open Inference Protocol path {path}");
        }
    }

    /// <summary>$(NAME) in command/args is expanded by Kubernetes only when the container has env NAME.</summary>
    private void CheckExpansions(Pod pod, Dictionary<string, object?> spec)
    {
        var names = spec.Maps("env").Select(e => e.Str("name")).ToHashSet();
        foreach (Match m in spec.Strings("command").Concat(spec.Strings("args")).SelectMany(a => Expansion().Matches(a)))
        {
            if (!names.Contains(m.Groups[1].Value))
            {
                Problems.Add($"{pod.Source} container {spec.Str("name")}: $({m.Groups[1].Value}) has no env variable to expand from");
            }
        }
    }

    private void CheckMounts(Pod pod, Dictionary<string, object?> spec)
    {
        foreach (var mount in spec.Maps("volumeMounts"))
        {
            var volume = pod.Volumes.FirstOrDefault(v => v.Str("name") == mount.Str("name"));
            if (volume is null)
            {
                Problems.Add($"{pod.Source} container {spec.Str("name")}: volumeMount {mount.Str("name")} has no volume");
                continue;
            }

            if (volume.Map("configMap") is not { } source)
            {
                continue;
            }

            var configMap = Objects("ConfigMap").FirstOrDefault(c => Name(c) == source.Str("name") && Namespace(c) == pod.Namespace);
            var data = configMap.Map("data");
            var key = mount.Str("subPath");
            if (data is null)
            {
                Problems.Add($"{pod.Source}: no ConfigMap {source.Str("name")} in namespace {pod.Namespace}");
            }
            else if (key is not null && !data.ContainsKey(key))
            {
                Problems.Add($"{pod.Source}: ConfigMap {source.Str("name")} has no key {key} (subPath of {mount.Str("mountPath")})");
            }
            else if (key is not null && Pod.IsServingImage(spec.Str("image")) && ModelConfigPath().Match(mount.Str("mountPath") ?? "") is { Success: true } m)
            {
                ModelConfigs.Add(new ModelConfigUse($"{pod.Source} ConfigMap {source.Str("name")}/{key}", m.Groups[1].Value, data.Str(key)!, pod.Labels.GetValueOrDefault("serving.model-version")));
            }
        }
    }

    /// <summary>A curl-like container that sends a file to the gateway's admin API.</summary>
    private void CheckAdminCall(Pod pod, Dictionary<string, object?> spec)
    {
        var args = spec.Strings("command").Concat(spec.Strings("args")).ToList();
        var url = args.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal) || a.StartsWith("https://", StringComparison.Ordinal));
        if (url is null)
        {
            return;
        }

        var uri = new Uri(url);
        var host = ServiceHost().Match(uri.Host).Groups[1].Value;
        var service = Objects("Service").FirstOrDefault(s => Name(s) == host && Namespace(s) == pod.Namespace);
        var servicePort = service.Map("spec").Maps("ports").FirstOrDefault(p => p.Str("port") == uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (servicePort is null)
        {
            Problems.Add($"{pod.Source}: {url}: no Service {host} with port {uri.Port}");
            return;
        }

        var targets = MatchPods(service!, Selector(service!)).SelectMany(p => p.Targets(TargetPort(servicePort))).ToList();
        if (targets.Count == 0 || targets.Any(t => t.Listener is not { Component: "gateway", Property: "AdminPort" }))
        {
            Problems.Add($"{pod.Source}: {url} reaches {string.Join(", ", targets.Select(t => t.Description))}, not the gateway's admin API");
            return;
        }

        foreach (var target in targets.Where(t => t.Listener!.IsLoopbackOnly))
        {
            Problems.Add($"{pod.Source}: {url}: {target.Container} binds the admin API to {target.Listener!.Bind} only");
        }

        var file = args.SkipWhile(a => a != "--data-binary" && a != "-d" && a != "--data").Skip(1).FirstOrDefault()?.TrimStart('@');
        var method = args.SkipWhile(a => a != "--request" && a != "-X").Skip(1).FirstOrDefault() ?? (file is null ? "GET" : "POST");
        var body = file is null ? "" : MountedFile(pod, spec, file);
        if (body is null)
        {
            Problems.Add($"{pod.Source}: {file} is not a key of a ConfigMap mounted in container {spec.Str("name")}");
            return;
        }

        AdminCalls.Add(new AdminCall($"{pod.Source} {url}", method, uri.AbsolutePath, body));
    }

    private string? MountedFile(Pod pod, Dictionary<string, object?> spec, string path)
    {
        foreach (var mount in spec.Maps("volumeMounts"))
        {
            var dir = mount.Str("mountPath")!.TrimEnd('/') + "/";
            var volume = pod.Volumes.FirstOrDefault(v => v.Str("name") == mount.Str("name")).Map("configMap");
            if (volume is not null && path.StartsWith(dir, StringComparison.Ordinal))
            {
                var configMap = Objects("ConfigMap").FirstOrDefault(c => Name(c) == volume.Str("name") && Namespace(c) == pod.Namespace);
                return configMap.Map("data").Str(path[dir.Length..]);
            }
        }

        return null;
    }

    private void CheckService(Dictionary<string, object?> service)
    {
        var pods = MatchPods(service, Selector(service));
        foreach (var port in service.Map("spec").Maps("ports"))
        {
            foreach (var pod in pods.Where(p => p.Targets(TargetPort(port)).Count == 0))
            {
                Problems.Add($"{Describe(service)}: port {port.Str("name")} targetPort {TargetPort(port)} is no container port of {pod.Source}");
            }
        }
    }

    private void CheckServiceMonitor(Dictionary<string, object?> monitor)
    {
        var labels = monitor.Map("spec").Map("selector").StringMap("matchLabels");
        var services = Objects("Service").Where(s => Namespace(s) == Namespace(monitor) && Matches(s.Map("metadata").StringMap("labels"), labels)).ToList();
        if (services.Count == 0)
        {
            Problems.Add($"{Describe(monitor)}: selects no Service");
        }

        foreach (var endpoint in monitor.Map("spec").Maps("endpoints"))
        {
            foreach (var service in services)
            {
                var port = service.Map("spec").Maps("ports").FirstOrDefault(p => p.Str("name") == endpoint.Str("port"));
                if (port is null)
                {
                    Problems.Add($"{Describe(monitor)}: Service {Name(service)} has no port named {endpoint.Str("port")}");
                    continue;
                }

                foreach (var target in MatchPods(service, Selector(service)).SelectMany(p => p.Targets(TargetPort(port))))
                {
                    if (target.Listener is { } l)
                    {
                        Endpoints.Add(new EndpointUse($"{Describe(monitor)} → {target.Container}", l.Component, l.Property, endpoint.Str("path") ?? "/metrics"));
                    }
                }
            }
        }
    }

    // Every pod of the cluster reaches a pod's address: an open ingest takes made-up records from any of them.
    private void CheckIngestExposure(ServingContainer container)
    {
        if (container.Role == "drift"
            && container.Listeners.FirstOrDefault(l => l.Property == "GrpcPort") is { IsLoopbackOnly: false } ingest
            && !container.Configuration.ContainsKey("Serving:Drift:IngestToken"))
        {
            Problems.Add($"{container.Source}: the drift ingest ({ingest}) listens on {ingest.Bind} with no Serving:Drift:IngestToken: any pod can send it records; "
                + "bind it to the pod (Serving__Drift__GrpcBindAddress=127.0.0.1) or set a token");
        }
    }

    private void CheckAutoscaler(Dictionary<string, object?> hpa)
    {
        var target = hpa.Map("spec").Map("scaleTargetRef");
        var workload = _pods.FirstOrDefault(p => p.Kind == target.Str("kind") && p.Name == target.Str("name") && p.Namespace == Namespace(hpa));
        if (workload is null)
        {
            Problems.Add($"{Describe(hpa)}: scaleTargetRef {target.Str("kind")}/{target.Str("name")} is not in the manifests");
        }

        foreach (var metric in hpa.Map("spec").Maps("metrics"))
        {
            var type = metric.Str("type") ?? "";
            var body = metric.Map(char.ToLowerInvariant(type[0]) + type[1..]);
            if (type is "Resource" or "ContainerResource")
            {
                if (body.Str("name") is not ("cpu" or "memory"))
                {
                    Problems.Add($"{Describe(hpa)}: resource metric {body.Str("name")} is not cpu or memory");
                }

                if (type == "ContainerResource" && workload is not null && !workload.Containers.Any(c => c.Str("name") == body.Str("container")))
                {
                    Problems.Add($"{Describe(hpa)}: no container {body.Str("container")} in {workload.Source}");
                }

                continue;
            }

            var name = body.Map("metric").Str("name") ?? "";
            if (!Code.HasStringLiteral(name))
            {
                Problems.Add($"{Describe(hpa)}: metric {name} is exported by nothing in src/");
            }
        }
    }

    private List<Pod> MatchPods(Dictionary<string, object?> owner, Dictionary<string, string?> selector)
    {
        var pods = _pods.Where(p => p.Namespace == Namespace(owner) && selector.Count > 0 && Matches(p.Labels, selector)).ToList();
        if (pods.Count == 0)
        {
            Problems.Add($"{Describe(owner)}: its selector matches no pod");
        }

        return pods;
    }

    private static bool Matches(IReadOnlyDictionary<string, string?> labels, Dictionary<string, string?> selector) =>
        selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);

    private static Dictionary<string, string?> Selector(Dictionary<string, object?> service) => service.Map("spec").StringMap("selector");

    private IEnumerable<Dictionary<string, object?>> Objects(params string[] kinds) => _objects.Where(o => kinds.Contains(o.Str("kind")));

    private static string? Name(Dictionary<string, object?>? o) => o.Map("metadata").Str("name");

    private static string Namespace(Dictionary<string, object?>? o) => o.Map("metadata").Str("namespace") ?? "default";

    private static string Describe(Dictionary<string, object?> o) => $"{o.Str("__file")}: {o.Str("kind")}/{Name(o)}";

    [GeneratedRegex(@"^([a-z0-9-]+)(\.[a-z0-9-]+(\.svc(\.cluster\.local)?)?)?$")]
    private static partial Regex ServiceHost();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Expansion();

    [GeneratedRegex(@"^/models/([^/]+)/model\.(yaml|yml|json)$")]
    private static partial Regex ModelConfigPath();

    /// <summary>A workload's pod template with its serving containers.</summary>
    private sealed class Pod
    {
        public Pod(KubernetesChecker owner, Dictionary<string, object?> workload)
        {
            Kind = workload.Str("kind")!;
            Name = KubernetesChecker.Name(workload)!;
            Namespace = KubernetesChecker.Namespace(workload);
            Source = $"{workload.Str("__file")}: {Kind}/{Name}";
            Key = $"{Namespace}/{Kind}/{Name}";
            var template = workload.Map("spec").Map("template");
            Labels = template.Map("metadata").StringMap("labels");
            var spec = template.Map("spec");
            Containers = [.. spec.Maps("initContainers").Concat(spec.Maps("containers"))];
            // A StatefulSet's claim templates are volumes of its pods too.
            Volumes = [.. spec.Maps("volumes"), .. workload.Map("spec").Maps("volumeClaimTemplates").Select(t => new Dictionary<string, object?> { ["name"] = t.Map("metadata").Str("name") })];
            foreach (var c in Containers.Where(c => IsServingImage(c.Str("image"))))
            {
                var source = $"{Source} container {c.Str("name")}";
                var command = c.Strings("command");
                if (command.Count > 0 && command is not ["serving"])
                {
                    owner.Problems.Add($"{source}: command {string.Join(' ', command)} overrides the image's entrypoint `serving`");
                }

                var env = c.Maps("env").ToDictionary(e => e.Str("name")!, e => e.Str("value"), StringComparer.Ordinal);
                var ports = c.Maps("ports").Select(p => new DeclaredPort(p.Str("name"), int.Parse(p.Str("containerPort")!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
                var container = new ServingContainer(source, Key, c.Strings("args"), env, ports, owner._imageEnvironment);
                Serving.Add(container);
                _specs[container] = c;
            }
        }

        private readonly Dictionary<ServingContainer, Dictionary<string, object?>> _specs = [];

        public string Kind { get; }

        public string Name { get; }

        public string Namespace { get; }

        public string Source { get; }

        public string Key { get; }

        public Dictionary<string, string?> Labels { get; }

        public List<Dictionary<string, object?>> Containers { get; }

        public List<Dictionary<string, object?>> Volumes { get; }

        public List<ServingContainer> Serving { get; } = [];

        public static bool IsServingImage(string? image) =>
            image is not null && image.Split('@')[0].Split('/')[^1].Split(':')[0] == "serving";

        public Dictionary<string, object?> Spec(ServingContainer container) => _specs[container];

        /// <summary>What a port name or number of this pod reaches.</summary>
        public List<Target> Targets(string port)
        {
            var targets = new List<Target>();
            foreach (var c in Containers)
            {
                var declared = c.Maps("ports").FirstOrDefault(p => p.Str("name") == port || p.Str("containerPort") == port);
                var serving = Serving.FirstOrDefault(s => _specs[s] == c);
                if (serving is not null && (declared is not null || int.TryParse(port, out _)) && serving.ListenerFor(declared?.Str("containerPort") ?? port) is { } listener)
                {
                    targets.Add(new Target(serving, listener, $"{serving.Source} ({listener})"));
                }
                else if (serving is null && declared is not null)
                {
                    targets.Add(new Target(null, null, $"{Source} container {c.Str("name")} port {port}"));
                }
            }

            return targets;
        }
    }
}
