using System.Diagnostics;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.DriftBench;

/// <summary>Progress on stderr: a line per step and per finished cell with the time left; on a terminal a live line within a cell.</summary>
internal sealed class DriftBenchProgress(TimeSpan estimate) : IProgress<LoadProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;

    /// <summary>A step or a result line.</summary>
    public void Step(string text) => Write($"[{Clock(_clock.Elapsed)}, ~{Clock(Left())} left] {text}");

    /// <inheritdoc />
    public void Report(LoadProgress value) => Live(
        $"{value.Phase,-7} {Format.Fixed(value.Elapsed.TotalSeconds, 0),3} s  {Format.Int(value.RequestsPerSecond),8} req/s  p99 {Format.Micros(value.P99Micros),9}  errors {Format.Int(value.Failed)}");

    /// <summary>A once-a-second view of an ingest run.</summary>
    public void Ingest(TimeSpan elapsed, string phase, double recordsPerSecond, long acked) => Live(
        $"{phase,-7} {Format.Fixed(elapsed.TotalSeconds, 0),3} s  {Format.Int(recordsPerSecond),9} records/s  acked {Format.Int(acked)}");

    private void Live(string text)
    {
        if (_live)
        {
            Console.Error.Write($"\r    {text}   ");
        }
    }

    private void Write(string line)
    {
        if (_live)
        {
            Console.Error.Write("\r" + new string(' ', 90) + "\r");
        }

        Console.Error.WriteLine(line);
    }

    private TimeSpan Left() => estimate - _clock.Elapsed > TimeSpan.Zero ? estimate - _clock.Elapsed : TimeSpan.Zero;

    private static string Clock(TimeSpan t) => $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
}
