using System.Globalization;
using System.Text.RegularExpressions;

namespace Serving.LoadTests.H2Load;

/// <summary>Parses h2load's summary (nghttp2 1.5x): the "finished in", "requests:", "status codes:" and "time for request:" lines.</summary>
internal static partial class H2LoadOutputParser
{
    /// <summary>The figures, or null when the output lacks the summary (h2load failed).</summary>
    public static H2LoadResult? Parse(string output)
    {
        var finished = Finished().Match(output);
        var requests = Requests().Match(output);
        var time = TimeForRequest().Match(output);
        if (!finished.Success || !requests.Success || !time.Success)
        {
            return null;
        }

        var status = StatusCodes().Match(output);
        return new H2LoadResult(
            Number(finished.Groups["rps"].Value),
            long.Parse(requests.Groups["succeeded"].Value, CultureInfo.InvariantCulture),
            long.Parse(requests.Groups["failed"].Value, CultureInfo.InvariantCulture),
            long.Parse(requests.Groups["errored"].Value, CultureInfo.InvariantCulture),
            status.Success ? long.Parse(status.Groups["ok"].Value, CultureInfo.InvariantCulture) : 0,
            Micros(time.Groups["min"].Value),
            Micros(time.Groups["max"].Value),
            Micros(time.Groups["mean"].Value),
            Micros(time.Groups["sd"].Value));
    }

    /// <summary>"812us", "1.23ms", "2.00s" in microseconds.</summary>
    public static double Micros(string value)
    {
        var match = Duration().Match(value);
        if (!match.Success)
        {
            return double.NaN;
        }

        var number = Number(match.Groups["n"].Value);
        return match.Groups["unit"].Value switch
        {
            "us" => number,
            "ms" => number * 1_000,
            _ => number * 1_000_000,
        };
    }

    private static double Number(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"finished in [\d.]+\w+, (?<rps>[\d.]+) req/s")]
    private static partial Regex Finished();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (?<succeeded>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored")]
    private static partial Regex Requests();

    [GeneratedRegex(@"status codes: (?<ok>\d+) 2xx")]
    private static partial Regex StatusCodes();

    [GeneratedRegex(@"time for request:\s+(?<min>\S+)\s+(?<max>\S+)\s+(?<mean>\S+)\s+(?<sd>\S+)")]
    private static partial Regex TimeForRequest();

    [GeneratedRegex(@"^(?<n>[\d.]+)(?<unit>us|ms|s)$")]
    private static partial Regex Duration();
}
