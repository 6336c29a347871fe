using System.Text;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.H2Load;

/// <summary>h2load and our generator on the same target with the same shape (connections × streams), run one after the other.</summary>
internal sealed record H2LoadComparison(
    string Target, string Model, int Connections, int StreamsPerConnection, int Seconds, H2LoadResult H2Load, IReadOnlyList<LoadReport> Ours)
{
    /// <summary>Our throughput as a fraction of h2load's.</summary>
    public double Ratio(LoadReport ours) => H2Load.RequestsPerSecond > 0 ? ours.RequestsPerSecond / H2Load.RequestsPerSecond : 0;

    /// <summary>The figures side by side as Markdown.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine($"### h2load vs serving-loadtest: gRPC ModelInfer → {Target} model `{Model}`, {Connections} connection(s) × {StreamsPerConnection} streams, {Seconds} s each");
        md.AppendLine();
        md.AppendLine("| generator | req/s | ok | failed | mean | min | max | p50 | p99 |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var h = H2Load;
        md.AppendLine($"| h2load | {Format.Int(h.RequestsPerSecond)} | {Format.Int(h.Succeeded)} | {Format.Int(h.Failed + h.Errored)} | "
            + $"{Format.Micros(h.MeanMicros)} | {Format.Micros(h.MinMicros)} | {Format.Micros(h.MaxMicros)} | n/a | n/a |");
        foreach (var ours in Ours)
        {
            var o = ours.Latency;
            md.AppendLine($"| serving-loadtest ({ours.GrpcClient}) | {Format.Int(ours.RequestsPerSecond)} | {Format.Int(ours.Succeeded)} | {Format.Int(ours.Failed)} | "
                + $"{Format.Micros(o.MeanMicros)} | {Format.Micros(o.MinMicros)} | {Format.Micros(o.MaxMicros)} | {Format.Micros(o.P50Micros)} | {Format.Micros(o.P99Micros)} |");
        }

        md.AppendLine();
        md.AppendLine("Ours / h2load throughput: " + string.Join(", ", Ours.Select(o => $"{o.GrpcClient} {Format.Fixed(Ratio(o), 2)}"))
            + ". h2load counts HTTP 200 as success and cannot see gRPC status trailers; ours checks them. "
            + "Every generator shares the machine's cores with the server, so a cheaper client leaves the server more.");
        return md.ToString();
    }
}
