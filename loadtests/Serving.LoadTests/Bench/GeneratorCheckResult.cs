using Serving.LoadTests.H2Load;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Bench;

/// <summary>h2load and our generator against the echo server with the same request and shape, one after the other.</summary>
/// <param name="Model">Whose request was sent.</param>
/// <param name="Connections">HTTP/2 connections.</param>
/// <param name="StreamsPerConnection">Concurrent streams per connection.</param>
/// <param name="Seconds">Measured seconds of each generator.</param>
/// <param name="H2Load">h2load's figures; null when it did not run.</param>
/// <param name="H2LoadCores">Cores h2load itself used.</param>
/// <param name="ServerCoresUnderH2Load">Cores this process (the echo server alone) used while h2load ran.</param>
/// <param name="Ours">Our generator, one report per gRPC client.</param>
/// <param name="Note">Why the check was skipped or what failed.</param>
internal sealed record GeneratorCheckResult(
    string Model, int Connections, int StreamsPerConnection, int Seconds, H2LoadResult? H2Load, double H2LoadCores, double ServerCoresUnderH2Load,
    IReadOnlyList<LoadReport> Ours, string? Note)
{
    /// <summary>h2load's CPU per call in µs.</summary>
    public double? H2LoadMicrosPerCall => H2Load is { RequestsPerSecond: > 0 } h ? H2LoadCores / h.RequestsPerSecond * 1e6 : null;

    /// <summary>The echo server's CPU per call in µs, measured while h2load (another process) loaded it.</summary>
    public double? ServerMicrosPerCall => H2Load is { RequestsPerSecond: > 0 } h ? ServerCoresUnderH2Load / h.RequestsPerSecond * 1e6 : null;

    /// <summary>Our generator's CPU per call: this process's CPU per call minus the server's share measured under h2load.</summary>
    public double? GeneratorMicrosPerCall(LoadReport ours) =>
        ServerMicrosPerCall is { } server ? Math.Max(0, ours.ProcessCpuMicrosPerCall - server) : null;

    /// <summary>Our throughput as a fraction of h2load's.</summary>
    public double? Ratio(LoadReport ours) => H2Load is { RequestsPerSecond: > 0 } h ? ours.RequestsPerSecond / h.RequestsPerSecond : null;
}
