using Microsoft.AspNetCore.Http;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Routing;

/// <summary>
/// Picks the version of one request, in order: the version the request names; the policy's pin
/// header; the sticky key's bucket; a random bucket; and with no policy, the newest ready version.
/// </summary>
internal static class VersionChooser
{
    public static VersionChoice Choose(ModelRoute model, ReadOnlySpan<char> namedVersion, IHeaderDictionary headers, TrafficPolicy? policy)
    {
        if (!namedVersion.IsEmpty)
        {
            return model.TryGetVersion(namedVersion, out var named)
                ? Ready(named, Arms.Explicit, named: true)
                : VersionChoice.Fail(RouteError.UnknownVersion(model.Name, namedVersion));
        }

        if (policy is null)
        {
            return model.LatestReady is { } latest
                ? new VersionChoice(latest, Arms.Default, false, null)
                : VersionChoice.Fail(RouteError.NoReadyVersion(model));
        }

        if (policy.PinHeader is { } pinHeader && headers.TryGetValue(pinHeader, out var pin) && pin.Count > 0 && !string.IsNullOrEmpty(pin[0]))
        {
            return model.TryGetVersion(pin[0], out var pinned)
                ? Ready(pinned, Arms.Pin, named: false)
                : VersionChoice.Fail(RouteError.UnknownVersion(model.Name, pin[0]));
        }

        string arm;
        int bucket;
        if (policy.StickyHeader is { } stickyHeader && headers.TryGetValue(stickyHeader, out var key) && key.Count > 0 && !string.IsNullOrEmpty(key[0]))
        {
            bucket = StickyBuckets.Of(model.Name, key[0]);
            arm = Arms.Sticky;
        }
        else
        {
            bucket = Random.Shared.Next(TrafficPolicy.Buckets);
            arm = Arms.Weight;
        }

        var version = policy.PickVersion(bucket);
        return model.TryGetVersion(version, out var chosen)
            ? Ready(chosen, arm, named: false)
            : VersionChoice.NotListed(model.Name, version, arm);
    }

    private static VersionChoice Ready(VersionRoute version, string arm, bool named) =>
        version.IsReady ? new VersionChoice(version, arm, named, null) : VersionChoice.NotReady(version, arm);
}
