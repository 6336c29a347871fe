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
