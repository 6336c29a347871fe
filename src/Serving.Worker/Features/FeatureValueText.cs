using System.Buffers.Text;
using System.Globalization;

namespace Serving.Worker.Features;

/// <summary>How a stored feature value's text becomes a number, the same for every layout.</summary>
internal static class FeatureValueText
{
    /// <summary>NaN for an empty value or one that is not a number; otherwise what <c>double.TryParse</c> makes of it.</summary>
    public static double Parse(ReadOnlySpan<byte> value) =>
        value.Length == 0 ? double.NaN
        : Utf8Parser.TryParse(value, out double plain, out var used) && used == value.Length ? plain // the common case, cheaper
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
}
