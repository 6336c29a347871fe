namespace Serving.Gateway.Routing;

/// <summary>The version a request goes to and why; <see cref="Named"/> is false when the gateway chose it (so the worker must be told).</summary>
internal readonly record struct VersionChoice(VersionRoute? Version, string Arm, bool Named, RouteError? Error)
{
    public static VersionChoice Fail(RouteError error) => new(null, "", false, error);
}
