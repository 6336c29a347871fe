using System.Buffers.Binary;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Reporting;

/// <summary><c>--plot</c>: the latency distribution is written as a PNG file.</summary>
public sealed class LatencyPlotTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void TryWrite_OpenModelReport_WritesA1000By560Png()
    {
        var report = Reports.Load(1_000, mode: "open", rate: 1_000) with
        {
            LatencyDistribution = [new PercentilePoint(0, 100), new PercentilePoint(50, 250), new PercentilePoint(99, 1_000), new PercentilePoint(99.9, 3_000), new PercentilePoint(100, 5_000)],
        };
        var path = Path.Combine(Path.GetTempPath(), $"latency-plot-{Guid.NewGuid():N}.png");
        try
        {
            Assert.True(LatencyPlot.TryWrite(report, path, out var reason), reason);

            var png = File.ReadAllBytes(path);
            Assert.Equal(PngSignature, png[..8]);

            // The first chunk is IHDR: width and height, big-endian, right after its length and type.
            Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
            Assert.Equal(1000, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
            Assert.Equal(560, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
