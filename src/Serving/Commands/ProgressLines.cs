using System.Diagnostics;
using System.Globalization;

namespace Serving.Commands;

/// <summary>
/// Progress as lines, for output that is not a terminal (a log file, CI), where a live bar is not drawn and a long
/// load said nothing until its report: <c>loaded 500 of 569 rows (87%)</c> each time the load passes another tenth of
/// its rows, or <see cref="Every"/> since the last line, and once at the end.
/// </summary>
internal sealed class ProgressLines(TextWriter output, long total) : IProgress<long>
{
    /// <summary>The longest silence between two lines while rows are written.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private long _lastTenth = -1;
    private long _lastAt = Stopwatch.GetTimestamp();

    /// <summary>The load has read <paramref name="value"/> rows.</summary>
    public void Report(long value)
    {
        var percent = total > 0 ? Math.Min(100, value * 100 / total) : 100;
        lock (_lock)
        {
            var tenth = percent / 10;
            if (tenth <= _lastTenth && Stopwatch.GetElapsedTime(_lastAt) < Every)
            {
                return;
            }

            _lastTenth = Math.Max(_lastTenth, tenth);
            _lastAt = Stopwatch.GetTimestamp();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loaded {value:N0} of {total:N0} rows ({percent}%)"));
        }
    }
}
