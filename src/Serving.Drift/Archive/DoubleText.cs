using System.Buffers.Text;

namespace Serving.Drift.Archive;

/// <summary>
/// A double's shortest round-trip text (what <see cref="Utf8Formatter"/> and <c>Utf8JsonWriter</c> write, byte for
/// byte), with a fast path for doubles that are a short decimal: a latency of whole 100 ns ticks in milliseconds
/// (1.2345), an integer input, a price. Between 0.001 and 10,000,000, the fewest decimals (up to 6) whose rounded
/// decimal divides back to exactly the double is written: that decimal parses back to it (parsing and the division
/// both round correctly), none with fewer digits does, and in this range no other decimal of as many digits is as
/// close. Anything else goes to the general formatter.
/// </summary>
internal static class DoubleText
{
    private const double MinFast = 1e-3;
    private const double MaxFast = 1e7;

    private static ReadOnlySpan<double> PowersOfTen => [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

    /// <summary>Writes <paramref name="value"/> (finite) as the general formatter would; returns the bytes written.</summary>
    public static int Write(double value, Span<byte> destination)
    {
        if (!TryWriteShort(value, destination, out var written))
        {
            Utf8Formatter.TryFormat(value, destination, out written);
        }

        return written;
    }

    /// <summary>The fast path alone: false (nothing written) when the value is left to the general formatter.</summary>
    internal static bool TryWriteShort(double value, Span<byte> destination, out int written)
    {
        written = 0;
        var magnitude = Math.Abs(value);
        if (!(magnitude >= MinFast && magnitude < MaxFast) || destination.Length < SingleText.MaxBytes)
        {
            return false; // also NaN, infinities and zero
        }

        for (var decimals = 0; decimals < PowersOfTen.Length; decimals++)
        {
            // Below 10^13 the scaled value's rounding error is far under 0.5, so this is the nearest decimal's digits.
            var scale = PowersOfTen[decimals];
            var digits = Math.Round(magnitude * scale);
            if (digits / scale == magnitude)
            {
                written = SingleText.Digits(destination, value < 0, (ulong)digits, decimals);
                return true;
            }
        }

        return false;
    }
}
