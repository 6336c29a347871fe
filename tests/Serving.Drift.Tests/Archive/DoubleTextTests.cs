using System.Buffers.Text;
using System.Text;
using Serving.Drift.Archive;

namespace Serving.Drift.Tests.Archive;

/// <summary>The double fast path must write exactly what <see cref="Utf8Formatter"/> writes, and take short decimals.</summary>
public sealed class DoubleTextTests
{
    [Fact]
    public void Write_LatenciesOfWholeTicks_SameBytesAsUtf8Formatter_AndFast()
    {
        // What the worker logs: a Stopwatch TimeSpan's TotalMilliseconds, whole 100 ns ticks.
        var random = new Random(3);
        var fast = 0;
        for (var n = 0; n < 1_000_000; n++)
        {
            var ticks = random.NextInt64(10, 100_000_000_000);
            fast += AssertSame(TimeSpan.FromTicks(ticks).TotalMilliseconds) ? 1 : 0;
        }

        Assert.Equal(1_000_000, fast);
    }

    [Fact]
    public void Write_ShortDecimals_SameBytesAsUtf8Formatter_AndFast()
    {
        var random = new Random(5);
        var (values, fast) = (0, 0);
        for (var n = 0; n < 1_000_000; n++)
        {
            var value = Math.Round(random.NextDouble() * Math.Pow(10, random.Next(-2, 7)), random.Next(0, 7)) * (random.Next(2) == 0 ? 1 : -1);
            if (Math.Abs(value) >= 1e-3)
            {
                values++;
                fast += AssertSame(value) ? 1 : 0;
            }
        }

        Assert.Equal(values, fast);
    }

    [Fact]
    public void Write_RandomBitPatternsAndRandomDoubles_SameBytesAsUtf8Formatter()
    {
        var random = new Random(20261206);
        Span<byte> bits = stackalloc byte[8];
        for (var n = 0; n < 1_000_000; n++)
        {
            random.NextBytes(bits);
            var value = BitConverter.ToDouble(bits);
            if (double.IsFinite(value))
            {
                AssertSame(value);
            }

            AssertSame(random.NextDouble() * Math.Pow(10, random.Next(-4, 8)));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(0.001)]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(1.2345)]
    [InlineData(-17.99)]
    [InlineData(9999999.999999)]
    [InlineData(1234567.000001)]
    [InlineData(0.1 + 0.2)] // not a short decimal: 0.30000000000000004
    [InlineData(2.0 / 3)]
    public void Write_Values_SameBytesAsUtf8Formatter(double value) => AssertSame(value);

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.0009)]
    [InlineData(1e7)]
    [InlineData(double.MaxValue)]
    [InlineData(double.Epsilon)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(0.1234567)] // seven decimals
    public void TryWriteShort_OutsideItsRange_LeavesTheValueToTheGeneralFormatter(double value)
    {
        Assert.False(DoubleText.TryWriteShort(value, new byte[SingleText.MaxBytes], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryWriteShort_BufferTooSmall_WritesNothing() =>
        Assert.False(DoubleText.TryWriteShort(1.5, new byte[SingleText.MaxBytes - 1], out _));

    // True when the fast path wrote it.
    private static bool AssertSame(double value)
    {
        var expected = new byte[64];
        Assert.True(Utf8Formatter.TryFormat(value, expected, out var expectedLength));

        var actual = new byte[32];
        var length = DoubleText.Write(value, actual);
        Assert.True(
            expected.AsSpan(0, expectedLength).SequenceEqual(actual.AsSpan(0, length)),
            $"{value:R} (bits {BitConverter.DoubleToInt64Bits(value):x16}): expected {Encoding.ASCII.GetString(expected, 0, expectedLength)}, wrote {Encoding.ASCII.GetString(actual, 0, length)}");

        return DoubleText.TryWriteShort(value, new byte[SingleText.MaxBytes], out _);
    }
}
