using System.Text;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Baselines.RawOrt;

/// <summary>The raw ONNX Runtime figures: the ceiling of the model alone, no network.</summary>
internal sealed record RawOrtReport(string Model, int IntraOpThreads, IReadOnlyList<RawOrtResult> Results)
{
    /// <summary>The report as Markdown.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        var callers = Results.Count > 0 ? Results[0].Callers : 1;
        md.AppendLine($"### raw ONNX Runtime: `{Model}` (OrtValue API, {(callers == 1 ? "one caller" : $"{callers} callers at once")}, intra-op threads {Threads(IntraOpThreads)}, spinning off)");
        md.AppendLine();
        md.AppendLine("| batch | runs | rows/s | runs/s | µs per run p50 | p99 | mean | CPU µs per row |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in Results)
        {
            md.AppendLine($"| {r.Batch} | {Format.Int(r.Runs)} | {Format.Int(r.RowsPerSecond)} | {Format.Int(r.RunsPerSecond)} | "
                + $"{Format.Int(r.P50Micros)} | {Format.Int(r.P99Micros)} | {Format.Fixed(r.MeanMicros, 1)} | {Format.Fixed(r.CpuMicrosPerRow, 1)} |");
        }

        return md.ToString();
    }

    /// <summary>An intra-op thread count as printed: "ORT default" for 0.</summary>
    public static string Threads(int intraOpThreads) => intraOpThreads == 0 ? "ORT default" : intraOpThreads.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
