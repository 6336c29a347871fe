using Serving.LoadTests.H2Load;

namespace Serving.LoadTests.Tests.H2Load;

public sealed class H2LoadOutputParserTests
{
    // Captured from nghttp2's h2load against the echo baseline on this machine.
    private const string Sample = """
        starting benchmark...
        spawning thread #0: 1 total client(s). Timing-based test with 1s of warm-up time and 1s of main duration for measurements.
        Application protocol: h2c

        finished in 2.00s, 10596.00 req/s, 434.63KB/s
        requests: 10596 total, 10596 started, 10596 done, 10590 succeeded, 4 failed, 2 errored, 0 timeout
        status codes: 10590 2xx, 0 3xx, 0 4xx, 6 5xx
        traffic: 434.63KB (445062) total, 67.01KB (68618) headers (space savings 95.77%), 245.32KB (251207) data
                             min         max         mean         sd        +/- sd
        time for request:       79us      5.68ms       366us       619us    93.24%
        time for connect:        0us         0us         0us         0us     0.00%
        time to 1st byte:        0us         0us         0us         0us     0.00%
        req/s           :   10593.59    10593.59    10593.59        0.00   100.00%
        """;

    [Fact]
    public void Parse_Summary_ReadsThroughputCountsAndRequestTimes()
    {
        var result = H2LoadOutputParser.Parse(Sample);

        Assert.NotNull(result);
        Assert.Equal(10596.00, result.RequestsPerSecond);
        Assert.Equal(10590, result.Succeeded);
        Assert.Equal(4, result.Failed);
        Assert.Equal(2, result.Errored);
        Assert.Equal(10590, result.Status2xx);
        Assert.Equal(79, result.MinMicros);
        Assert.Equal(5680, result.MaxMicros, 6);
        Assert.Equal(366, result.MeanMicros);
        Assert.Equal(619, result.SdMicros);
    }

    [Fact]
    public void Parse_NoSummary_IsNull()
    {
        Assert.Null(H2LoadOutputParser.Parse("starting benchmark...\nconnect to 127.0.0.1 port 1 failed: Connection refused\n"));
    }

    [Theory]
    [InlineData("812us", 812)]
    [InlineData("1.23ms", 1230)]
    [InlineData("2.00s", 2_000_000)]
    public void Micros_Units_ConvertToMicroseconds(string text, double expected)
    {
        Assert.Equal(expected, H2LoadOutputParser.Micros(text), 6);
    }

    [Fact]
    public void Micros_Garbage_IsNaN()
    {
        Assert.True(double.IsNaN(H2LoadOutputParser.Micros("fast")));
    }
}
