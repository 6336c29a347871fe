using System.Globalization;
using System.Text;
using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

/// <summary>The feature script answers one newline-joined string per entity; these pin how it is read back.</summary>
public sealed class RedisReplyParsingTests
{
    [Fact]
    public void Parse_ValuesInOrder_EmptyOrNonNumericAreNaN()
    {
        var values = RedisFeatureStore.Parse("1.5\n\n-2e-3\nNaN?\n 7 \n0"u8, 6);

        Assert.Equal([1.5, double.NaN, -0.002, double.NaN, 7, 0], values);
    }

    [Fact]
    public void Parse_OneField_TheWholeReply()
    {
        Assert.Equal([42.25], RedisFeatureStore.Parse("42.25"u8, 1));
        Assert.Equal([double.NaN], RedisFeatureStore.Parse(""u8, 1));
    }

    [Fact]
    public void Parse_AnyText_SameValueAsDoubleTryParseOfThatTextAlone()
    {
        var random = new Random(20261204);
        string[] odd = ["1.", ".5", "-.5", "+3", "1e", "1e+", "e5", "1E5", "1e-400", "1e400", "-0", "00012", "1_000", "1,5", "0x10",
            "Infinity", "-Infinity", "NaN", "∞", " 4", "4 ", "\t4", "4\r", "1.5.2", "--1", "+-1", "١٢", "12345678901234567890123", "4.9406564584124654E-324"];
        var texts = odd.Concat(Enumerable.Range(0, 3000).Select(_ => random.Next(4) switch
        {
            0 => random.NextDouble().ToString("R", CultureInfo.InvariantCulture),
            1 => (random.NextDouble() * Math.Pow(10, random.Next(-30, 30))).ToString("E" + random.Next(0, 17), CultureInfo.InvariantCulture),
            2 => ((float)(random.NextDouble() * 1000)).ToString(CultureInfo.InvariantCulture),
            _ => new string([.. Enumerable.Range(0, random.Next(1, 8)).Select(_ => "0123456789.eE+- "[random.Next(16)])]),
        })).ToArray();

        var values = RedisFeatureStore.Parse(Encoding.UTF8.GetBytes(string.Join('\n', texts)), texts.Length);

        for (var i = 0; i < texts.Length; i++)
        {
            var expected = double.TryParse(texts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            Assert.True(expected.Equals(values[i]), $"'{texts[i]}': {values[i]}, double.TryParse gives {expected}");
        }
    }

    [Theory]
    [InlineData("1\n2", 3)]
    [InlineData("1\n2\n3\n4", 3)]
    [InlineData("1\n2\n3\n", 3)]
    public void Parse_ReplyWithOtherValueCount_Refused(string reply, int fields)
    {
        var error = Assert.Throws<InvalidDataException>(() => RedisFeatureStore.Parse(Encoding.UTF8.GetBytes(reply), fields));

        Assert.Contains($"expected {fields}", error.Message, StringComparison.Ordinal);
    }
}
