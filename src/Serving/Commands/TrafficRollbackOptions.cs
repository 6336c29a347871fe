using System.CommandLine;

namespace Serving.Commands;

/// <summary><c>serving traffic set</c>'s automatic-rollback options: a baseline and an error rate turn it on, the rest tune it.</summary>
internal sealed class TrafficRollbackOptions
{
    private readonly Option<string?> _baseline = new("--rollback-baseline") { Description = "Roll a failing version back automatically: the version that gets its traffic (needs --max-error-rate)" };
    private readonly Option<double?> _maxErrorRate = NumberOption.Fraction(
        "--max-error-rate", "Roll back a version whose error rate in the window is above this, e.g. 0.05 (0 < rate <= 1)", "not an error rate: give a number greater than 0 and at most 1, e.g. 0.05");

    private readonly Option<int?> _minRequests = NumberOption.WholeNumber(
        "--min-requests", "Requests a version must have in the window before it is judged (default 100)", "not a number of requests: give a whole number, e.g. 100");

    private readonly Option<int?> _window = NumberOption.WholeNumber(
        "--window", "The window, in seconds (5 to 3600, default 60)", "not a number of seconds: give a whole number from 5 to 3600, e.g. 60");

    private readonly Option<int?> _maxP99 = NumberOption.WholeNumber(
        "--max-p99-ms", "Also roll back when the version's p99 latency is above this many milliseconds (default 0: off)", "not a number of milliseconds: give a whole number (0: off)");

    public static TrafficRollbackOptions Create() => new();

    public void AddTo(Command command)
    {
        command.Add(_baseline);
        command.Add(_maxErrorRate);
        command.Add(_minRequests);
        command.Add(_window);
        command.Add(_maxP99);
    }

    /// <summary>The settings given, null when none; a <see cref="FormatException"/> says what is missing.</summary>
    public TrafficRollbackSettings? Read(ParseResult result)
    {
        var baseline = result.GetValue(_baseline);
        var rate = result.GetValue(_maxErrorRate);
        var (min, window, p99) = (result.GetValue(_minRequests), result.GetValue(_window), result.GetValue(_maxP99));
        if (baseline is null)
        {
            return rate is null && min is null && window is null && p99 is null
                ? null
                : throw new FormatException("--max-error-rate, --min-requests, --window and --max-p99-ms need --rollback-baseline");
        }

        return rate is { } r
            ? new TrafficRollbackSettings(baseline, r, min, window, p99)
            : throw new FormatException("--rollback-baseline needs --max-error-rate (e.g. 0.05)");
    }
}
