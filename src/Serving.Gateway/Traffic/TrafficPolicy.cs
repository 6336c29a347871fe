using System.Collections.Immutable;

namespace Serving.Gateway.Traffic;

/// <summary>
/// One model's traffic policy, immutable: weights per version laid out as consecutive ranges of
/// <see cref="Buckets"/> buckets (lowest version first), an optional sticky header, an optional
/// pin header, an optional shadow and optional automatic-rollback settings. A change is a new
/// instance swapped in whole.
/// </summary>
internal sealed class TrafficPolicy
{
    /// <summary>Buckets a caller is hashed (or drawn) into; one percent of weight is 100 buckets.</summary>
    public const int Buckets = 10_000;

    private readonly int[] _upperBounds;
    private readonly string[] _versions;

    public TrafficPolicy(
        string model, IEnumerable<VersionWeight> weights, string? stickyHeader, string? pinHeader, ShadowPolicy? shadow,
        long revision, DateTimeOffset updatedAt, string updatedBy, RollbackPolicy? rollback = null, RollbackEvent? lastRollback = null)
    {
        Model = model;
        Weights = [.. weights.OrderBy(w => w.Version.Length).ThenBy(w => w.Version, StringComparer.Ordinal)];
        StickyHeader = stickyHeader;
        PinHeader = pinHeader;
        Shadow = shadow;
        Revision = revision;
        UpdatedAt = updatedAt;
        UpdatedBy = updatedBy;
        Rollback = rollback;
        LastRollback = lastRollback;

        var serving = Weights.Where(w => w.Weight > 0).ToArray();
        _versions = [.. serving.Select(w => w.Version)];
        _upperBounds = new int[serving.Length];
        var total = 0;
        for (var i = 0; i < serving.Length; i++)
        {
            total += serving[i].Weight * (Buckets / 100);
            _upperBounds[i] = total;
        }

        if (serving.Length > 0)
        {
            // Weights are validated to add up to 100; this only guards the last range's end.
            _upperBounds[^1] = Buckets;
        }
    }

    public string Model { get; }

    /// <summary>The weights, lowest version first (numeric order: versions have no leading zeros).</summary>
    public ImmutableArray<VersionWeight> Weights { get; }

    /// <summary>A request header whose value keeps a caller on one version while the weights hold; null for none.</summary>
    public string? StickyHeader { get; }

    /// <summary>A request header that names the version to use; null for none.</summary>
    public string? PinHeader { get; }

    public ShadowPolicy? Shadow { get; }

    /// <summary>Grows by one with every change, across replicas.</summary>
    public long Revision { get; }

    public DateTimeOffset UpdatedAt { get; }

    public string UpdatedBy { get; }

    /// <summary>When the gateway rolls a failing version back on its own; null for never.</summary>
    public RollbackPolicy? Rollback { get; }

    /// <summary>The most recent automatic rollback of this model, kept across later changes; null for none.</summary>
    public RollbackEvent? LastRollback { get; }

    /// <summary>
    /// True when <paramref name="other"/> is this very change: the same revision, author, time and settings. Two changes
    /// may share a revision number (a store that lost its data counts again), never all of these.
    /// </summary>
    public bool IsSameChange(TrafficPolicy other) =>
        Model == other.Model && Revision == other.Revision && UpdatedAt == other.UpdatedAt && UpdatedBy == other.UpdatedBy
        && Weights.SequenceEqual(other.Weights) && StickyHeader == other.StickyHeader && PinHeader == other.PinHeader
        && Shadow == other.Shadow && Rollback == other.Rollback && LastRollback == other.LastRollback;

    /// <summary>The version whose range holds <paramref name="bucket"/> (0 ≤ bucket &lt; <see cref="Buckets"/>).</summary>
    public string PickVersion(int bucket)
    {
        var bounds = _upperBounds;
        for (var i = 0; i < bounds.Length - 1; i++)
        {
            if (bucket < bounds[i])
            {
                return _versions[i];
            }
        }

        return _versions[^1];
    }
}
