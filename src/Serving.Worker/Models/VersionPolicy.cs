namespace Serving.Worker.Models;

/// <summary>Applies a model's version policy to the versions found on disk.</summary>
internal static class VersionPolicy
{
    public static IReadOnlyList<long> Select(VersionPolicyConfig? policy, IReadOnlyList<long> onDisk)
    {
        var sorted = onDisk.Order().ToArray();
        if (policy?.Specific is { Versions: { } specific })
        {
            return sorted.Where(specific.Contains).ToArray();
        }

        if (policy?.All is not null)
        {
            return sorted;
        }

        // Triton's default: the newest version only.
        var latest = policy?.Latest?.NumVersions ?? 1;
        return sorted.Skip(Math.Max(0, sorted.Length - latest)).ToArray();
    }
}
