using System.Buffers.Text;
using System.Globalization;

namespace Serving.Worker.Features;

/// <summary>How a stored feature value's text becomes a number, the same for every layout.</summary>
internal static class FeatureValueText
{
    /// <summary>Exact powers of ten: every one up to 10^22 is a double with no rounding.</summary>
    private static ReadOnlySpan<double> PowersOfTen =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>NaN for an empty value or one that is not a number; otherwise what <c>double.TryParse</c> makes of it.</summary>
    public static double Parse(ReadOnlySpan<byte> value) =>
        value.Length == 0 ? double.NaN
        : TryParseShortDecimal(value, out var shortDecimal) ? shortDecimal // what feature stores hold: 17.99, -0.0042
        : Utf8Parser.TryParse(value, out double plain, out var used) && used == value.Length ? plain
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    /// <summary>
    /// Clinger's fast path: <c>[+-]digits[.digits]</c> with at most 15 significant digits and 22 decimals is an
    /// integer below 2^53 divided by an exact power of ten, and one IEEE division rounds correctly, so the result is
    /// the same double <c>double.Parse</c> gives, bit for bit, for a fraction of its cost. Anything else (an
    /// exponent, more digits, spaces, NaN) is left to the general parser.
    /// </summary>
    internal static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (text[0] is (byte)'-' or (byte)'+')
        {
            negative = text[0] == '-';
            i = 1;
        }

        long mantissa = 0;
        var significant = 0;
        var decimals = 0;
        var dot = false;
        var digits = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                digits = true;
                if (dot)
                {
                    decimals++;
                }

                if (mantissa == 0 && c == '0')
                {
                    continue; // a leading zero is not a significant digit
                }

                if (++significant > 15)
                {
                    return false;
                }

                mantissa = (mantissa * 10) + (c - '0');
            }
            else if (c == '.' && !dot)
            {
                dot = true;
            }
            else
            {
                return false;
            }
        }

        if (!digits || decimals >= PowersOfTen.Length)
        {
            return false;
        }

        var magnitude = mantissa / PowersOfTen[decimals];
        value = negative ? -magnitude : magnitude;
        return true;
    }
}
