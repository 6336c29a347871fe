using Serving.Gateway.Discovery;
using Serving.Gateway.Routing;

namespace Serving.Gateway.Tests.TestSupport;

/// <summary>Hand-built routing tables: models whose versions are ready (a healthy worker) or not.</summary>
internal static class Routes
{
    public static WorkerEndpoint Worker(int port = 9000, bool healthy = true)
    {
        var worker = new WorkerEndpoint($"http://127.0.0.1:{port}", $"http://127.0.0.1:{port + 1}");
        worker.SetProbeHealthy(healthy);
        return worker;
    }

    /// <summary>A model with <paramref name="ready"/> versions on one healthy worker and <paramref name="notReady"/> versions with none.</summary>
    public static ModelRoute Model(string name, string[] ready, string[]? notReady = null)
    {
        var worker = Worker();
        var versions = ready.Select(v => new VersionRoute(name, v, long.Parse(v, System.Globalization.CultureInfo.InvariantCulture), [worker], null))
            .Concat((notReady ?? []).Select(v => new VersionRoute(name, v, long.Parse(v, System.Globalization.CultureInfo.InvariantCulture), [], null)));
        return new ModelRoute(name, versions);
    }
}
