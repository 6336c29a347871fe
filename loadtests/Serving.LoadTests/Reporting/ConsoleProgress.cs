using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Reporting;

/// <summary>Writes one progress line a second to stderr, so stdout carries only the report.</summary>
internal sealed class ConsoleProgress : IProgress<LoadProgress>
{
    /// <inheritdoc />
    public void Report(LoadProgress value) =>
        Console.Error.WriteLine(
            $"[{Format.Fixed(value.Elapsed.TotalSeconds, 1),6} s {value.Phase,-7}] {Format.Int(value.RequestsPerSecond),9} req/s  "
            + $"p99 {Format.Micros(value.P99Micros),9}  ok {Format.Int(value.Succeeded),10}  errors {Format.Int(value.Failed)}");
}
