using System.Buffers.Text;
using System.Numerics;

namespace Serving.Drift.Archive;

/// <summary>
/// A float32's shortest round-trip text (what <see cref="Utf8Formatter"/> and <c>Utf8JsonWriter</c> write, byte for
/// byte), with a fast path for the values archives are full of: model inputs such as 17.99 and probabilities such
/// as 0.8734521, between 0.0001 and 10,000,000. The fast path finds the fewest decimals whose rounded decimal parses
/// back to the same float, checked with exact arithmetic: that decimal has the fewest significant digits, and the
/// rounding makes it the closest of them, which is the text the general formatter picks. Ties and anything else go
/// to the general formatter.
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

    private static ReadOnlySpan<ulong> PowersOfTenInteger =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    private static ReadOnlySpan<byte> TwoDigits =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

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
        // parses back to this float; at a power of two (lopsided) the float below is half as far.
        var halfGap = BitConverter.Int64BitsToDouble((long)(exponent - 127 - 24 + 1023) << 52); // 2^(e-24), a normal double
        var lopsided = (bits & 0x7FFFFF) == 0;

        // The first number of decimals whose closest decimal is within the limit has the fewest significant digits.
        var decimals = 0;
        double rounded;
        bool inside;
        while (!Within(magnitude, decimals, halfGap, lopsided, out rounded, out inside))
        {
            if (++decimals == PowersOfTen.Length)
            {
                return false;
            }
        }

        // On the limit, ties-to-even decides whether it parses back; at 0.5 two candidates are equally close.
        if (!inside || Math.Abs(rounded - (magnitude * PowersOfTen[decimals])) == 0.5)
        {
            return false;
        }

        written = Digits(destination, value < 0, (ulong)rounded, decimals);
        return true;
    }

    // Whether the closest decimal with `decimals` decimals is at most the limit away (inside: strictly less). Written
    // without a branch on the side the decimal falls (which is random), but for the rare lopsided powers of two.
    private static bool Within(double magnitude, int decimals, double halfGap, bool lopsided, out double rounded, out bool inside)
    {
        var scale = PowersOfTen[decimals];
        var scaled = magnitude * scale; // exact
        rounded = Math.Round(scaled);
        var distance = Math.Abs(rounded - scaled); // exact below MaxScaled
        var limit = halfGap * scale; // exact
        if (lopsided && rounded < scaled)
        {
            limit /= 2;
        }

        inside = distance < limit && scaled < MaxScaled;
        return distance <= limit || scaled >= MaxScaled;
    }

    // "-" digits with a point before the last `decimals` of them ("0.001" when there are fewer), written from the end,
    // two digits at a time. The caller checked that the destination has MaxBytes, more than the 19 this can write.
    internal static int Digits(Span<byte> destination, bool negative, ulong digits, int decimals)
    {
        var count = Math.Max(CountDigits(digits), decimals + 1);
        var length = (negative ? 1 : 0) + count + (decimals > 0 ? 1 : 0);
        var pairs = TwoDigits;
        var n = length;
        var fraction = decimals;
        for (; fraction >= 2; fraction -= 2)
        {
            (digits, var pair) = Math.DivRem(digits, 100UL);
            n -= 2;
            pairs.Slice((int)pair * 2, 2).CopyTo(destination[n..]);
        }

        if (fraction == 1)
        {
            (digits, var digit) = Math.DivRem(digits, 10UL);
            destination[--n] = (byte)('0' + (int)digit);
        }

        if (decimals > 0)
        {
            destination[--n] = (byte)'.';
        }

        for (var whole = count - decimals; whole > 0; whole -= 2)
        {
            if (whole == 1)
            {
                destination[--n] = (byte)('0' + (int)digits);
                break;
            }

            (digits, var pair) = Math.DivRem(digits, 100UL);
            n -= 2;
            pairs.Slice((int)pair * 2, 2).CopyTo(destination[n..]);
        }

        if (negative)
        {
            destination[0] = (byte)'-';
        }

        return length;
    }

    // Decimal digits of value (1 for 0): the bit length's estimate, corrected by one comparison.
    private static int CountDigits(ulong value)
    {
        var guess = ((64 - BitOperations.LeadingZeroCount(value | 1)) * 1233) >> 12;
        return guess + 1 - (value < PowersOfTenInteger[guess] ? 1 : 0);
    }
}
