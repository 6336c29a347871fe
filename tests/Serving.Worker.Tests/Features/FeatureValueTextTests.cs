using System.Globalization;
using System.Text;
using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

public sealed class FeatureValueTextTests
{
    private static double Parse(string text) => FeatureValueText.Parse(Encoding.UTF8.GetBytes(text));

    private static void AssertSameAsDoubleParse(string text)
    {
        var expected = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        Assert.True(
            BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(Parse(text)),
            $"'{text}': double.Parse gives {expected:R}, FeatureValueText {Parse(text):R}");
    }

    [Theory]
    [InlineData("17.99")]
    [InlineData("-0.0042")]
    [InlineData("+1.5")]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("000123.4500")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("0.1")]
    [InlineData("0.3")]
    [InlineData("123456789012345")]
    [InlineData("0.000000000000000000001")]
    [InlineData("0.0000000000000000000001")]
    [InlineData("99999999999999.9")]
    public void ShortDecimal_TakesTheFastPath_SameBitsAsDoubleParse(string text)
    {
        Assert.True(FeatureValueText.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out _), $"'{text}' should take the fast path");
        AssertSameAsDoubleParse(text);
    }

    [Theory]
    [InlineData("1234567890123456")] // 16 significant digits
    [InlineData("9007199254740993")] // 2^53 + 1: the division would round twice
    [InlineData("0.00000000000000000000001")] // 23 decimals: 10^23 is not exact
    [InlineData("1e5")]
    [InlineData("1.5E-3")]
    [InlineData(" 2.5")]
    [InlineData("NaN")]
    [InlineData("-Infinity")]
    [InlineData("0.1000000000000000055511151231257827")]
    public void OtherForms_LeftToTheGeneralParser_SameAsDoubleParse(string text)
    {
        Assert.False(FeatureValueText.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out _));
        AssertSameAsDoubleParse(text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData("1.2.3")]
    [InlineData("abc")]
    [InlineData("12a")]
    [InlineData("--1")]
    public void NotANumber_IsNaN(string text)
    {
        Assert.True(double.IsNaN(Parse(text)));
    }

    [Fact]
    public void RandomValues_InTheFormatsStoresWrite_SameBitsAsDoubleParse()
    {
        var random = new Random(20261204);
        string[] formats = ["R", "F2", "F6", "G6", "G15", "0.##########"];
        for (var i = 0; i < 20_000; i++)
        {
            var magnitude = Math.Pow(10, random.Next(-8, 12));
            var value = (random.NextDouble() - 0.5) * magnitude;
            AssertSameAsDoubleParse(value.ToString(formats[i % formats.Length], CultureInfo.InvariantCulture));
            AssertSameAsDoubleParse(((float)value).ToString("R", CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void RandomDigitStrings_UpToTheFastPathsLimits_SameBitsAsDoubleParse()
    {
        var random = new Random(7);
        var text = new StringBuilder();
        for (var i = 0; i < 20_000; i++)
        {
            text.Clear();
            if (random.Next(3) == 0)
            {
                text.Append('-');
            }

            var whole = random.Next(0, 16);
            for (var d = 0; d < whole; d++)
            {
                text.Append((char)('0' + random.Next(10)));
            }

            text.Append('.');
            var decimals = random.Next(1, 23);
            for (var d = 0; d < decimals; d++)
            {
                text.Append((char)('0' + random.Next(10)));
            }

            AssertSameAsDoubleParse(text.ToString());
        }
    }
}
