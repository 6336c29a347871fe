namespace Serving.LoadTests.GatewayBench;

/// <summary>Names of <see cref="ProxyTarget"/> for the command line and reports.</summary>
internal static class ProxyTargets
{
    /// <summary>Every target, in the order each cell visits them.</summary>
    public static readonly ProxyTarget[] All = [ProxyTarget.Direct, ProxyTarget.Gateway, ProxyTarget.Nginx];

    /// <summary>The short name: <c>direct</c>, <c>gateway</c>, <c>nginx</c>.</summary>
    public static string ToName(this ProxyTarget target) => target switch
    {
        ProxyTarget.Direct => "direct",
        ProxyTarget.Gateway => "gateway",
        _ => "nginx",
    };

    /// <summary>The label in tables.</summary>
    public static string ToLabel(this ProxyTarget target) => target switch
    {
        ProxyTarget.Direct => "worker direct",
        ProxyTarget.Gateway => "Serving gateway → worker",
        _ => "nginx → worker",
    };

    /// <summary>Parses a short name.</summary>
    public static ProxyTarget Parse(string name) =>
        All.Select(t => (ProxyTarget?)t).FirstOrDefault(t => t!.Value.ToName() == name)
            ?? throw LoadTestException.Usage($"unknown target '{name}': use {string.Join(", ", All.Select(t => t.ToName()))}");
}
