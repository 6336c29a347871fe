namespace Serving.LoadTests.Bench;

/// <summary>One ratio of the bench with its target.</summary>
/// <param name="Model">The model it is about.</param>
/// <param name="Name">e.g. <c>serving efficiency</c>.</param>
/// <param name="Value">The figure; null when a cell it needs did not run.</param>
/// <param name="Unit">How <paramref name="Value"/> reads: <c>×</c> for ratios, <c>µs</c> for latencies.</param>
/// <param name="Target">The target as printed (e.g. <c>≥ 0.7</c>), or a dash when there is none.</param>
/// <param name="Pass">True/false against the target; null when there is no target or no value.</param>
/// <param name="Detail">How it was computed, with the figures used.</param>
internal sealed record BenchRatio(string Model, string Name, double? Value, string Unit, string Target, bool? Pass, string Detail)
{
    /// <summary>PASS, MISS, or a dash.</summary>
    public string Verdict => Pass switch
    {
        true => "PASS",
        false => "MISS",
        null => "—",
    };
}
