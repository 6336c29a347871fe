namespace Serving.Deploy.Tests.Checks;

/// <summary>Where an address used by a container leads: a serving container's listener, or something else (Redis).</summary>
internal sealed record Target(ServingContainer? Container, Listener? Listener, string Description);

/// <summary>Name resolution of one deployment form (Kubernetes Services and pods, compose services).</summary>
internal interface INetwork
{
    /// <summary>What <paramref name="host"/>:<paramref name="port"/> reaches from <paramref name="from"/>; empty with a problem added when nothing.</summary>
    IReadOnlyList<Target> Resolve(ServingContainer from, string host, int port, List<string> problems);
}
