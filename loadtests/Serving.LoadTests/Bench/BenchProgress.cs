using System.Diagnostics;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Bench;

/// <summary>
/// Progress on stderr: a line when each step starts and when each cell ends, with the time left; on a
/// terminal also a live per-second line within the cell.
/// </summary>
internal sealed class BenchProgress(int totalCells, TimeSpan estimate) : IProgress<LoadProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;
    private int _cell;
    private string _label = string.Empty;

    /// <summary>A step that is not a cell (raw ORT, starting a server).</summary>
    public void Step(string text) => Write($"[{Elapsed()}] {text}");

    /// <summary>A cell starts.</summary>
    public void CellStarted(string label)
    {
        _cell++;
        _label = label;
        Write($"[{Elapsed()}, ~{Left()} left] cell {_cell}/{totalCells}: {label} ...");
    }

    /// <summary>A cell ended.</summary>
    public void CellEnded(BenchCell cell)
    {
        ClearLive();
        var text = cell.Report is { } r
            ? $"{Format.Int(r.RequestsPerSecond)} req/s, p50 {Format.Micros(r.Latency.P50Micros)}, p99 {Format.Micros(r.Latency.P99Micros)}, "
              + $"{Format.Int(r.Failed)} failed, cores {Format.Fixed(r.ProcessCpuCores, 2)} (others {(r.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")})"
              + (cell.Batching is { Executions: > 0 } b ? $", mean batch {Format.Fixed(b.MeanBatchSize, 1)}" : string.Empty)
            : $"did not run: {cell.Error}";
        Write($"    {_label}: {text}");
    }

    /// <inheritdoc />
    public void Report(LoadProgress value)
    {
        if (_live)
        {
            Console.Error.Write($"\r    {value.Phase,-7} {Format.Fixed(value.Elapsed.TotalSeconds, 0),3} s  {Format.Int(value.RequestsPerSecond),8} req/s  p99 {Format.Micros(value.P99Micros),9}  errors {Format.Int(value.Failed)}   ");
        }
    }

    private void ClearLive()
    {
        if (_live)
        {
            Console.Error.Write("\r" + new string(' ', 90) + "\r");
        }
    }

    private void Write(string line)
    {
        ClearLive();
        Console.Error.WriteLine(line);
    }

    private string Elapsed() => Clock(_clock.Elapsed);

    private string Left() => Clock(estimate - _clock.Elapsed > TimeSpan.Zero ? estimate - _clock.Elapsed : TimeSpan.Zero);

    private static string Clock(TimeSpan t) => $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
}
