using System.Diagnostics;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.GatewayBench;

/// <summary>
/// Progress on stderr, so stdout carries only the report: a line per step and per finished cell with the time
/// left; on a terminal also a live per-second line within each run.
/// </summary>
/// <param name="totalCells">Cells in the whole run, every round counted.</param>
/// <param name="estimate">The run's estimated wall time.</param>
/// <param name="rounds">Rounds per (protocol, concurrency) group; the cell lines name the round when there are several.</param>
internal sealed class GatewayBenchProgress(int totalCells, TimeSpan estimate, int rounds) : IProgress<LoadProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;
    private int _cell;
    private string _label = string.Empty;

    /// <summary>A step that is not a cell (starting a target, warming one up).</summary>
    public void Step(string text) => Write($"[{Clock(_clock.Elapsed)}] {text}");

    /// <summary>A cell starts.</summary>
    public void CellStarted(GatewayBenchCell cell)
    {
        _cell++;
        var round = rounds > 1 ? $" · round {cell.Round}/{rounds}" : string.Empty;
        _label = $"{GatewayBenchMarkdown.Protocol(cell.Protocol)} c={cell.Concurrency}{round} · {cell.Target.ToLabel()}";
        Write($"[{Clock(_clock.Elapsed)}, ~{Clock(Left())} left] cell {_cell}/{totalCells}: {_label} ...");
    }

    /// <summary>A cell ended (or was skipped).</summary>
    public void CellEnded(GatewayBenchCell cell)
    {
        var text = cell switch
        {
            { Skipped: { } skipped } => $"skipped: {skipped}",
            { Report: { } r } => $"{Format.Int(r.RequestsPerSecond)} req/s, p50 {Format.Micros(r.Latency.P50Micros)}, p99 {Format.Micros(r.Latency.P99Micros)}, "
                + $"{Format.Int(r.Failed)} failed, cores {Format.Fixed(r.ProcessCpuCores, 2)} (others {(r.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")})",
            _ => $"did not run: {cell.Error}",
        };
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

    private TimeSpan Left() => estimate > _clock.Elapsed ? estimate - _clock.Elapsed : TimeSpan.Zero;

    private void Write(string line)
    {
        if (_live)
        {
            Console.Error.Write("\r" + new string(' ', 90) + "\r");
        }

        Console.Error.WriteLine(line);
    }

    private static string Clock(TimeSpan t) => $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
}
