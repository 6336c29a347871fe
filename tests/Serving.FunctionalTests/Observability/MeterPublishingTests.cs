using System.Diagnostics.Metrics;
using Serving.Hosting.Metrics;

namespace Serving.FunctionalTests.Observability;

/// <summary>Which framework meter instruments reach <c>/metrics</c> (the scrape itself is checked in <see cref="MetricsCatalogueTests"/>).</summary>
public sealed class MeterPublishingTests
{
    [Theory]
    [InlineData("Microsoft.AspNetCore.Hosting", "http.server.request.duration")]
    [InlineData("Microsoft.AspNetCore.Hosting", "http.server.active_requests")]
    [InlineData("Microsoft.AspNetCore.Routing", "aspnetcore.routing.match_attempts")]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel", "kestrel.queued_requests")]
    [InlineData("Microsoft.AspNetCore.MemoryPool", "aspnetcore.memory_pool.rented")]
    [InlineData("System.Net.Http", "http.client.request.duration")]
    public void Publishes_PerRequestInstrument_OnlyWhenAskedFor(string meterName, string instrumentName)
    {
        using var meter = new Meter(meterName);
        var instrument = meter.CreateCounter<long>(instrumentName);

        Assert.False(MeterPublishing.Publishes(instrument, perRequestMeters: false));
        Assert.True(MeterPublishing.Publishes(instrument, perRequestMeters: true));
    }

    [Theory]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel", "kestrel.active_connections")]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel", "kestrel.connection.duration")]
    [InlineData("System.Net.Http", "http.client.open_connections")]
    [InlineData("System.Runtime", "dotnet.exceptions")]
    public void Publishes_PerConnectionAndRuntimeInstruments_Always(string meterName, string instrumentName)
    {
        using var meter = new Meter(meterName);
        var instrument = meter.CreateCounter<long>(instrumentName);

        Assert.True(MeterPublishing.Publishes(instrument, perRequestMeters: false));
    }

    [Fact]
    public void Publishes_ObservableInstrument_Always()
    {
        using var meter = new Meter("Microsoft.AspNetCore.Hosting");
        var instrument = meter.CreateObservableGauge("some.gauge", () => 1);

        Assert.True(MeterPublishing.Publishes(instrument, perRequestMeters: false));
    }
}
