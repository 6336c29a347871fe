using System.Buffers.Text;

namespace Serving.Drift.Archive;

/// <summary>
/// A float32's shortest round-trip text (what <see cref="Utf8Formatter"/> and <c>Utf8JsonWriter</c> write, byte for
/// byte), with a fast path for the values archives are full of: model inputs such as 17.99 and probabilities such
/// as 0.8734521, between 0.0001 and 10,000,000. The fast path tries 0, 1, 2, … decimals and takes the first rounded
/// decimal that parses back to the same float, checked with exact arithmetic; the first that does has the fewest
/// significant digits, and the rounding makes it the closest of them, which is the text the general formatter
/// picks. Ties and anything else go to the general formatter.
/// </summary>
internal static class SingleText
{
    /// <summary>Room <see cref="Write"/> needs: "-1.17549435E-38" and the like, with some to spare.</summary>
    public const int MaxBytes = 24;

    // Outside [0.0001, 10^7) the general formatter may switch to E notation; those stay with it.
    private const double MinFast = 1e-4;
    private const double MaxFast = 1e7;

    // Below 2^52 a double's spacing is at most 0.5, so the distance from a scaled value to its rounding is exact.
    private const double MaxScaled = 4503599627370496.0;

    // 10^d = 2^d × 5^d, and 5^12 has 28 bits: a float's 24-bit significand times any of these is exact in a double.
    private static ReadOnlySpan<double> PowersOfTen => [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

    /// <summary>Writes <paramref name="value"/> (finite) as the general formatter would; returns the bytes written.</summary>
    public static int Write(float value, Span<byte> destination)
    {
        if (!TryWriteShort(value, destination, out var written))
        {
            Utf8Formatter.TryFormat(value, destination, out written);
        }

        return written;
    }

    /// <summary>The fast path alone: false (nothing written) when the value is left to the general formatter.</summary>
    internal static bool TryWriteShort(float value, Span<byte> destination, out int written)
    {
        written = 0;
        var bits = BitConverter.SingleToInt32Bits(value);
        var exponent = (bits >> 23) & 0xFF;
        var magnitude = Math.Abs((double)value);
        if (!(magnitude >= MinFast && magnitude < MaxFast) || destination.Length < MaxBytes)
        {
            return false; // also NaN, infinities, zero and subnormals
        }

        // The floats either side are 2^(e-23) away (e the unbiased exponent), so every number closer than half that
        // parses back to this float; at a power of two the float below is half as far.
        var halfGapAbove = Math.ScaleB(1.0, exponent - 127 - 24);
        var halfGapBelow = (bits & 0x7FFFFF) == 0 ? halfGapAbove / 2 : halfGapAbove;
        for (var decimals = 0; decimals < PowersOfTen.Length; decimals++)
        {
            var scale = PowersOfTen[decimals];
            var scaled = magnitude * scale; // exact
            if (scaled >= MaxScaled)
            {
                return false;
            }

            var rounded = Math.Round(scaled);
            var distance = rounded - scaled; // exact
            var limit = (distance >= 0 ? halfGapAbove : halfGapBelow) * scale; // exact
            if (Math.Abs(distance) < limit)
            {
                if (Math.Abs(distance) == 0.5)
                {
                    return false; // two closest candidates: left to the general formatter
                }

                written = Digits(destination, value < 0, (ulong)rounded, decimals);
                return true;
            }

            if (Math.Abs(distance) == limit)
            {
                return false; // on the rounding boundary: ties-to-even decides, left to the general formatter
            }
        }

        return false;
    }

    // "-" digits with a point before the last `decimals` of them ("0.001" when there are fewer).
    private static int Digits(Span<byte> destination, bool negative, ulong digits, int decimals)
    {
        Span<byte> reversed = stackalloc byte[20];
        var count = 0;
        do
        {
            reversed[count++] = (byte)('0' + (int)(digits % 10));
            digits /= 10;
        }
        while (digits != 0);

        while (count <= decimals)
        {
            reversed[count++] = (byte)'0';
        }

        var n = 0;
        if (negative)
        {
            destination[n++] = (byte)'-';
        }

        for (var i = count - 1; i >= 0; i--)
        {
            destination[n++] = reversed[i];
            if (i == decimals && i > 0)
            {
                destination[n++] = (byte)'.';
            }
        }

        return n;
    }
}
