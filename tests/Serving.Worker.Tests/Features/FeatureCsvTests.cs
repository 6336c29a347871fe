using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

/// <summary>The feature CSV reader: RFC 4180 quoting on one line, and a reason for every line it refuses.</summary>
public sealed class FeatureCsvTests
{
    private static readonly FeatureCsv.Header Header = FeatureCsv.ReadHeader("customer_id,a,b");

    [Theory]
    [InlineData("1,2,3", new[] { "1", "2", "3" })]
    [InlineData(" 1 , 2 ,3 ", new[] { "1", "2", "3" })]
    [InlineData("\"1002\",\"2.5\",3", new[] { "1002", "2.5", "3" })]
    [InlineData("\"a,b\",1", new[] { "a,b", "1" })]
    [InlineData("\"say \"\"hi\"\"\",1", new[] { "say \"hi\"", "1" })]
    [InlineData("\" padded \" ,1", new[] { " padded ", "1" })]
    [InlineData("\"\",1,", new[] { "", "1", "" })]
    [InlineData(",", new[] { "", "" })]
    public void Split_ValidLines(string line, string[] expected)
    {
        var cells = new List<string>();

        Assert.Null(FeatureCsv.Split(line, cells));
        Assert.Equal(expected, cells);
    }

    [Theory]
    [InlineData("\"1002,2,3", "column 1 opens a quote that the line doesn't close")]
    [InlineData("1,\"2\"x,3", "column 2 has text after its closing quote")]
    [InlineData("1,2\"5,3", "column 2 has a quote inside an unquoted field")]
    public void Split_BrokenQuoting_SaysWhere(string line, string reason)
    {
        Assert.StartsWith(reason, FeatureCsv.Split(line, []), StringComparison.Ordinal);
    }

    [Fact]
    public void ParseLine_QuotedIdAndValues_AreTheValuesNotTheQuotes()
    {
        var row = Assert.IsType<FeatureCsv.Row>(FeatureCsv.ParseLine(2, "\"1002\",\"1.5\",\" 2 \"", Header));

        Assert.Equal("1002", row.Id);
        Assert.Equal([1.5, 2.0], row.Values);
    }

    [Theory]
    [InlineData("1,2", "2 columns, the header has 3")]
    [InlineData("1,2,3,4", "4 columns, the header has 3")]
    [InlineData("17", "1 column (no comma), the header has 3")]
    [InlineData(" \t ", "only spaces or tabs: delete the line")]
    [InlineData("\"\",2,3", "empty id")]
    [InlineData("1,,3", "column 'a' is empty")]
    [InlineData("1,2,nan", "'nan' in column 'b' is not a number")]
    [InlineData("1,2,1e400", "'1e400' in column 'b' is not a number")]
    [InlineData("1,\"2,3", "column 2 opens a quote")]
    [InlineData("1\uFFFD,2,3", "not UTF-8 text")] // a byte that is not UTF-8, as the reader decodes it
    [InlineData("1,2,3\uFFFD", "not UTF-8 text")]
    public void ParseLine_BadRows_NamedWithTheirLineAndReason(string line, string reason)
    {
        var bad = Assert.IsType<FeatureCsv.BadRow>(FeatureCsv.ParseLine(7, line, Header));

        Assert.Equal(7, bad.Line);
        Assert.StartsWith(reason, bad.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// Ids are held to the bytes a request may send (UTF-8, 256 at most): before, a longer id loaded under a key no
    /// request could name, and the row was lost without a word.
    /// </summary>
    [Theory]
    [InlineData(256, 'x', true)]
    [InlineData(257, 'x', false)]
    [InlineData(128, '\u00e9', true)] // é is 2 bytes: 256 in all
    [InlineData(129, '\u00e9', false)] // 258 bytes though 129 characters
    public void ParseLine_IdLength_CountedInUtf8Bytes_AsRequestsAre(int count, char c, bool loads)
    {
        var id = new string(c, count);

        var parsed = FeatureCsv.ParseLine(3, $"{id},1,2", Header);

        if (loads)
        {
            Assert.Equal(id, Assert.IsType<FeatureCsv.Row>(parsed).Id);
        }
        else
        {
            var bad = Assert.IsType<FeatureCsv.BadRow>(parsed);
            Assert.Equal(3, bad.Line);
            Assert.Contains($"is {System.Text.Encoding.UTF8.GetByteCount(id)} bytes: requests name entities by ids of 1 to 256 bytes (UTF-8)", bad.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReadHeader_Quoted()
    {
        var header = FeatureCsv.ReadHeader("\"customer_id\",\"a\",\"b\"");

        Assert.Equal("customer_id", header.IdColumn);
        Assert.Equal(["a", "b"], header.Fields);
    }

    [Theory]
    [InlineData("customer_id", "the header must name an id column")]
    [InlineData("customer_id,a,a", "the header must name an id column")]
    [InlineData("customer_id,\"a", "the header is not valid CSV: column 2 opens a quote")]
    public void ReadHeader_Invalid_Throws(string line, string reason)
    {
        Assert.StartsWith(reason, Assert.Throws<FormatException>(() => FeatureCsv.ReadHeader(line)).Message, StringComparison.Ordinal);
    }
}
