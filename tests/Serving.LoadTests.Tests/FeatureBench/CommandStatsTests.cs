using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class CommandStatsTests
{
    // As redis-server 7 answers INFO commandstats: CRLF line ends, a section header, subcommands with '|'.
    private const string Info =
        "# Commandstats\r\n"
        + "cmdstat_evalsha:calls=120,usec=9000,usec_per_call=75.00,rejected_calls=0,failed_calls=0\r\n"
        + "cmdstat_hmget:calls=7680,usec=20000,usec_per_call=2.60,rejected_calls=0,failed_calls=0\r\n"
        + "cmdstat_client|setname:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n"
        + "cmdstat_INFO:calls=4,usec=300,usec_per_call=75.00,rejected_calls=0,failed_calls=0\r\n"
        + "\r\n";

    [Fact]
    public void Parse_RedisReply_ReadsCallsPerCommand()
    {
        var stats = CommandStats.Parse(Info);

        Assert.Equal(120, stats.Calls("evalsha"));
        Assert.Equal(7680, stats.Calls("hmget"));
        Assert.Equal(2, stats.Calls("client|setname"));
        Assert.Equal(4, stats.Calls("info")); // names are lower-cased
        Assert.Equal(0, stats.Calls("eval"));
        Assert.Equal(120, stats.Calls(["eval", "evalsha"]));
    }

    [Fact]
    public void Parse_OtherSectionsAndBlankText_AreIgnored()
    {
        var stats = CommandStats.Parse("# Server\nredis_version:7.0.15\nused_cpu_sys:1.5\n");

        Assert.Empty(stats.Commands);
        Assert.Empty(CommandStats.Parse(string.Empty).Commands);
    }

    [Theory]
    [InlineData("cmdstat_evalsha:usec=9000,usec_per_call=75.00")]
    [InlineData("cmdstat_evalsha:calls=many,usec=9000")]
    [InlineData("cmdstat_:calls=1")]
    public void Parse_LineWithoutReadableCalls_Throws(string line)
    {
        Assert.Throws<FormatException>(() => CommandStats.Parse(line));
    }

    [Fact]
    public void Between_TwoReadings_GivesWhatRanInBetween()
    {
        var before = CommandStats.Parse("cmdstat_evalsha:calls=100,usec=1\ncmdstat_hmget:calls=6400,usec=1\n");
        var after = CommandStats.Parse("cmdstat_evalsha:calls=130,usec=1\ncmdstat_hmget:calls=8320,usec=1\ncmdstat_eval:calls=1,usec=1\n");

        var delta = CommandStats.Between(before, after);

        Assert.Equal(30, delta.Calls("evalsha"));
        Assert.Equal(1920, delta.Calls("hmget"));
        Assert.Equal(1, delta.Calls("eval")); // first seen after
    }

    [Fact]
    public void Between_CountersReset_ReadsTheAfterValue()
    {
        var before = CommandStats.Parse("cmdstat_evalsha:calls=500,usec=1\n");
        var after = CommandStats.Parse("cmdstat_evalsha:calls=20,usec=1\n");

        Assert.Equal(20, CommandStats.Between(before, after).Calls("evalsha"));
    }
}
