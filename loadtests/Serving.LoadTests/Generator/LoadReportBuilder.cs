using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Generator;

/// <summary>Turns a finished run's measurement into a <see cref="LoadReport"/>.</summary>
internal static class LoadReportBuilder
{
    /// <summary>The report; <paramref name="end"/> is when the last call ended.</summary>
    public static LoadReport Build(
        LoadTarget target, LoadProfile profile, InferPayload payload, IInferClient client, LoadMeasurement measurement,
        IReadOnlyList<TimelinePoint> timeline, DateTimeOffset startedAt, long end)
    {
        var measured = Math.Max(Timestamps.ToSeconds(end - measurement.MeasureStart), 0);
        var succeeded = measurement.Succeeded;
        var failures = measurement.Failures.Snapshot();
        var failed = failures.Sum(f => f.Count);
        var rps = measured > 0 ? succeeded / measured : 0;
        var open = profile.Mode == LoadMode.Open;
        return new LoadReport
        {
            StartedAt = startedAt,
            Target = target.Address.ToString().TrimEnd('/'),
            Protocol = target.Protocol.ToName(),
            GrpcClient = target.Protocol != TargetProtocol.Grpc ? null : target.GrpcStream ? "ModelStreamInfer streams" : target.GrpcClient.ToName(),
            Model = target.Model,
            ModelVersion = target.ModelVersion,
            Mode = open ? "open" : "closed",
            Concurrency = open ? null : profile.Concurrency,
            Rate = open ? profile.Rate : null,
            RampTo = open ? profile.RampTo : null,
            MaxInFlight = open ? profile.MaxInFlight : null,
            WakeIntervalMicros = open ? (long)profile.WakeInterval.TotalMicroseconds : null,
            Connections = target.Protocol == TargetProtocol.Grpc ? profile.EffectiveConnections : null,
            WarmupSeconds = profile.Warmup.TotalSeconds,
            DurationSeconds = profile.Duration.TotalSeconds,
            MaxRequests = profile.MaxRequests,
            MeasuredSeconds = Math.Round(measured, 3),
            RowsPerRequest = payload.Rows,
            RequestBytes = client.RequestBytes,
            Offered = open ? succeeded + failed : null,
            Succeeded = succeeded,
            Failed = failed,
            RequestsPerSecond = Math.Round(rps, 1),
            RowsPerSecond = Math.Round(rps * payload.Rows, 1),
            Latency = LatencySummary.From(measurement.Latency.Cumulative),
            ServiceTime = measurement.ServiceTime is { } service ? LatencySummary.From(service.Cumulative) : null,
            Errors = failures.Select(f => new OutcomeCount(f.Outcome.KindName, f.Outcome.StatusName, f.Count, client.Errors.For(f.Outcome))).ToList(),
            FirstClientError = measurement.FirstClientError,
            LatencyDistribution = PercentilePoint.From(measurement.Latency.Cumulative),
            Timeline = timeline,
        };
    }
}
