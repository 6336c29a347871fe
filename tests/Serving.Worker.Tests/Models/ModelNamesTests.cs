using Serving.Worker.Models;

namespace Serving.Worker.Tests.Models;

public sealed class ModelNamesTests
{
    [Theory]
    [InlineData("tabular")]
    [InlineData("my-model_2.v1")]
    [InlineData("A")]
    [InlineData("0")]
    [InlineData("model.")]
    [InlineData("a.b.c")]
    public void IsValidName_SafeName_True(string name)
    {
        Assert.True(ModelNames.IsValidName(name));
    }

    [Fact]
    public void IsValidName_128Characters_True()
    {
        Assert.True(ModelNames.IsValidName(new string('a', 128)));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("/etc")]
    [InlineData("%2e%2e")]
    [InlineData("a..b")]
    [InlineData("model..")]
    [InlineData(".hidden")] // the first character must be a letter or digit
    [InlineData("-flag")]
    [InlineData("_private")]
    [InlineData("has space")]
    [InlineData("caf\u00e9")]
    [InlineData("a\0b")]
    [InlineData("")]
    public void IsValidName_UnsafeName_False(string name)
    {
        Assert.False(ModelNames.IsValidName(name));
    }

    [Fact]
    public void IsValidName_129Characters_False()
    {
        Assert.False(ModelNames.IsValidName(new string('a', 129)));
    }

    [Fact]
    public void IsValidName_Null_False()
    {
        Assert.False(ModelNames.IsValidName(null));
    }

    [Fact]
    public void IsValidName_TrailingNewline_False()
    {
        Assert.False(ModelNames.IsValidName("tabular\n"));
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("42", 42L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void TryParseVersion_PositiveInteger_Parses(string text, long expected)
    {
        Assert.True(ModelNames.TryParseVersion(text, out var version));
        Assert.Equal(expected, version);
    }

    [Fact]
    public void TryParseVersion_LeadingZero_Rejected()
    {
        // Otherwise folders "1" and "01" would both claim version 1, and which one serves would depend on directory order.
        Assert.False(ModelNames.TryParseVersion("01", out _));
        Assert.False(ModelNames.TryParseVersion("007", out _));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("00")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1.0")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("1,000")]
    [InlineData("9223372036854775808")]
    [InlineData("\u0661")] // ARABIC-INDIC DIGIT ONE
    [InlineData("latest")]
    [InlineData("1\0")] // long.TryParse takes trailing NULs: a gRPC model_version "1\0" was served by version 1
    [InlineData("12\0\0")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParseVersion_NotPositiveInteger_False(string? text)
    {
        Assert.False(ModelNames.TryParseVersion(text, out _));
    }
}
