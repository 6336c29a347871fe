namespace Serving.Gateway.Routing;

/// <summary>
/// The version a request goes to and why; <see cref="Named"/> is false when the gateway chose it (so the worker must be told).
/// When the policy picked a version that has no healthy worker, <see cref="Unready"/> names it (automatic rollback counts it as failed).
/// </summary>
internal readonly record struct VersionChoice(VersionRoute? Version, string Arm, bool Named, RouteError? Error, string? Unready = null)
{
    public static VersionChoice Fail(RouteError error) => new(null, "", false, error);

    /// <summary>The policy picked a version no worker lists (it went away since the policy was set).</summary>
    public static VersionChoice NotListed(string model, string version, string arm) => new(null, arm, false, RouteError.NoReadyWorker(model, version), version);

    public static VersionChoice NotReady(VersionRoute version, string arm) => new(null, arm, false, RouteError.NoReadyWorker(version), version.Version);
}
