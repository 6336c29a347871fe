namespace Serving.LoadTests.Commands;

/// <summary>
/// A duration option's value. It prints as the parser reads it (<c>10s</c>, <c>250us</c>), so <c>--help</c> shows
/// defaults a user can give back; TimeSpan prints <c>00:00:10</c>, which the parser refuses.
/// </summary>
internal readonly record struct CliDuration(TimeSpan Value)
{
    /// <summary>The duration.</summary>
    public static implicit operator TimeSpan(CliDuration duration) => duration.Value;

    /// <inheritdoc/>
    public override string ToString() => CliParsers.FormatDuration(Value);
}
