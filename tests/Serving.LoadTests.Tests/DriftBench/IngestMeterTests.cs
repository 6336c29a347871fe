using Serving.LoadTests.DriftBench;
using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Tests.DriftBench;

public sealed class IngestMeterTests
{
    private static readonly long Second = Timestamps.FromSeconds(1);

    [Fact]
    public void OnAck_CountsAllAcks_ButOnlyThoseInTheWindowAsMeasured()
    {
        var meter = new IngestMeter(measureFrom: 10 * Second, maxMeasuredRecords: null);

        meter.OnAck(512, 0, sentAt: 8 * Second, now: 9 * Second);
        meter.OnAck(512, 1, sentAt: 10 * Second, now: 11 * Second);
        meter.Stop(12 * Second);
        meter.OnAck(512, 0, sentAt: 11 * Second, now: 13 * Second);

        Assert.Equal(3, meter.Batches);
        Assert.Equal(1536, meter.Acked);
        Assert.Equal(1, meter.Rejected);
        Assert.Equal(512, meter.Measured);
        Assert.Equal(2.0, meter.MeasuredSeconds(now: 100 * Second), 3);
    }

    [Fact]
    public void OnAck_RecordCountReached_StopsTheWindowAtThatAck()
    {
        var meter = new IngestMeter(measureFrom: 0, maxMeasuredRecords: 1000);

        meter.OnAck(512, 0, 0, Second);
        Assert.False(meter.Stopped);
        meter.OnAck(512, 0, Second, 2 * Second);

        Assert.True(meter.Stopped);
        Assert.Equal(2.0, meter.MeasuredSeconds(now: 5 * Second), 3);
    }

    [Fact]
    public void Stop_BeforeTheWindowOpened_GivesAnEmptyWindowNotANegativeOne()
    {
        var meter = new IngestMeter(measureFrom: 10 * Second, maxMeasuredRecords: null);

        meter.Stop(5 * Second);

        Assert.Equal(0, meter.MeasuredSeconds(now: 20 * Second));
    }
}
