using System.Text;
using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

/// <summary>The packed layout's text: <c>field=value</c> lines, matched by name.</summary>
public sealed class PackedFeaturesTests
{
    private static readonly string[] Fields = ["a", "b", "c"];

    [Fact]
    public void FormatThenParse_RandomValues_ComeBackExactly()
    {
        var random = new Random(20261204);
        var fields = Enumerable.Range(0, 30).Select(i => $"feature_{i}").ToArray();
        var packed = new PackedFeatures(fields);
        for (var n = 0; n < 200; n++)
        {
            var values = fields.Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20))).ToArray();

            var parsed = packed.Parse(Encoding.UTF8.GetBytes(PackedFeatures.Format(fields, values)));

            Assert.Equal(values, parsed);
        }
    }

    [Fact]
    public void Format_OneLinePerField_InTheGivenOrder()
    {
        Assert.Equal("a=1.5\nb=-2\nc=1E-07\n", PackedFeatures.Format(Fields, [1.5, -2, 1e-7]));
    }

    [Theory]
    [InlineData("c=3\na=1\nb=2", new[] { 1.0, 2, 3 })] // any order
    [InlineData("a=1\r\nb=2\r\nc=3\r\n", new[] { 1.0, 2, 3 })] // CRLF lines
    [InlineData("x=9\na=1\n\nnoise\n=5\nc=3", new[] { 1.0, double.NaN, 3 })] // unknown, blank, nameless and malformed lines ignored; b missing
    [InlineData("a=\nb=abc\nc= 4 ", new[] { double.NaN, double.NaN, 4 })] // empty and non-numbers are NaN, as in a hash
    [InlineData("a=1\na=7\nb=2\nc=3", new[] { 7.0, 2, 3 })] // a repeated field: the last line wins
    [InlineData("b=x=1\na=1", new[] { 1.0, double.NaN, double.NaN })] // the value is everything after the first '='
    [InlineData("a=1", new[] { 1.0, double.NaN, double.NaN })] // no trailing newline
    public void Parse_ByName_MissingOrBadValuesAreNaN(string text, double[] expected)
    {
        Assert.Equal(expected, new PackedFeatures(Fields).Parse(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("x=1\ny=2")]
    [InlineData("a b c")]
    [InlineData("A=1")] // names are case-sensitive, as hash fields are
    public void Parse_NoneOfTheFields_IsAMissingEntity(string text)
    {
        Assert.Null(new PackedFeatures(Fields).Parse(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Parse_NonAsciiNames_MatchedOutOfOrderToo()
    {
        var packed = new PackedFeatures(["größe", "température"]);

        Assert.Equal([2.0, 1.0], Assert.IsType<double[]>(packed.Parse(Encoding.UTF8.GetBytes("température=1\ngröße=2\n"))));
    }

    [Theory]
    [InlineData("a=b")]
    [InlineData("line\nbreak")]
    [InlineData("carriage\rreturn")]
    [InlineData("")]
    public void Refusal_SeparatorsOrEmpty_Refused(string name)
    {
        Assert.NotNull(PackedFeatures.Refusal(name));
    }

    [Theory]
    [InlineData("mean_radius")]
    [InlineData("worst concave points")]
    [InlineData("größe:1")]
    public void Refusal_OrdinaryNames_Accepted(string name)
    {
        Assert.Null(PackedFeatures.Refusal(name));
    }
}
