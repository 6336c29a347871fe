using System.Buffers.Text;
using System.Text;
using Serving.Drift.Archive;

namespace Serving.Drift.Tests.Archive;

/// <summary>The float fast path must write exactly what <see cref="Utf8Formatter"/> writes, and take the common values.</summary>
public sealed class SingleTextTests
{
    [Fact]
    public void Write_RandomBitPatterns_SameBytesAsUtf8Formatter()
    {
        var random = new Random(20261204);
        for (var n = 0; n < 1_000_000; n++)
        {
            var value = BitConverter.Int32BitsToSingle(random.Next() | (random.Next(2) << 31));
            if (float.IsFinite(value))
            {
                AssertSame(value);
            }
        }
    }

    [Fact]
    public void Write_FloatsInTheFastRange_SameBytesAsUtf8Formatter()
    {
        // Every exponent from 2^-14 to 2^23 with random significands: most of these take the fast path.
        var random = new Random(7);
        var fast = 0;
        for (var n = 0; n < 1_000_000; n++)
        {
            var exponent = random.Next(-14, 24);
            var value = (float)Math.ScaleB(1 + random.NextDouble(), exponent) * (random.Next(2) == 0 ? 1 : -1);
            fast += AssertSame(value) ? 1 : 0;
        }

        Assert.InRange(fast, 900_000, 1_000_000);
    }

    [Fact]
    public void Write_FloatsAtEveryPowerOfTwo_SameBytesAsUtf8Formatter()
    {
        // A power of two has a float below it half as far as the one above: the rounding interval is lopsided there.
        for (var exponent = -15; exponent <= 24; exponent++)
        {
            var bits = BitConverter.SingleToInt32Bits((float)Math.ScaleB(1.0, exponent));
            for (var step = -2000; step <= 2000; step++)
            {
                AssertSame(BitConverter.Int32BitsToSingle(bits + step));
            }
        }
    }

    [Fact]
    public void Write_ShortDecimalsAsModelsSeeThem_SameBytesAndFast()
    {
        // Inputs like 17.99 or 0.0042 and probabilities like 0.8734521, stored as float32.
        // Some are ties, two shortest decimals equally close (347701.625 at 2 decimals), left to the general formatter.
        var random = new Random(11);
        var (values, fast) = (0, 0);
        for (var n = 0; n < 1_000_000; n++)
        {
            var value = (float)Math.Round(random.NextDouble() * Math.Pow(10, random.Next(-3, 7)), random.Next(0, 8));
            if (value >= 1e-4f)
            {
                values++;
                fast += AssertSame(value) ? 1 : 0;
            }
        }

        Assert.InRange(fast, values * 0.99, values);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    [InlineData(0.1f)]
    [InlineData(17.99f)]
    [InlineData(-0.0042f)]
    [InlineData(16777216f)]
    [InlineData(9999999f)]
    [InlineData(0.0001f)]
    [InlineData(0.99999994f)]
    [InlineData(1.0000001f)]
    [InlineData(123456.79f)]
    public void Write_Values_SameBytesAsUtf8Formatter(float value) => AssertSame(value);

    [Theory]
    [InlineData(0f)]
    [InlineData(1e-5f)]
    [InlineData(1e7f)]
    [InlineData(float.MaxValue)]
    [InlineData(float.Epsilon)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void TryWriteShort_OutsideItsRange_LeavesTheValueToTheGeneralFormatter(float value)
    {
        Assert.False(SingleText.TryWriteShort(value, new byte[SingleText.MaxBytes], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryWriteShort_BufferTooSmall_WritesNothing() =>
        Assert.False(SingleText.TryWriteShort(17.99f, new byte[SingleText.MaxBytes - 1], out _));

    // True when the fast path wrote it.
    private static bool AssertSame(float value)
    {
        var expected = new byte[64];
        Assert.True(Utf8Formatter.TryFormat(value, expected, out var expectedLength));

        var actual = new byte[SingleText.MaxBytes];
        var length = SingleText.Write(value, actual);
        Assert.True(
            expected.AsSpan(0, expectedLength).SequenceEqual(actual.AsSpan(0, length)),
            $"{value:R} (bits {BitConverter.SingleToInt32Bits(value):x8}): expected {Encoding.ASCII.GetString(expected, 0, expectedLength)}, wrote {Encoding.ASCII.GetString(actual, 0, length)}");

        var fast = SingleText.TryWriteShort(value, new byte[SingleText.MaxBytes], out _);
        return fast;
    }
}
