using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Archive;
using Serving.Drift.Hosting;
using Serving.Drift.Monitoring;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// What happens to one batch: contract checks, per-record checks (refused records get a reason),
/// the archive (durable before the ack), then the windows of known versions.
/// </summary>
internal sealed partial class IngestPipeline(
    DriftMonitor monitor,
    ArchiveWriter archive,
    DriftEvaluator evaluator,
    DriftMetrics metrics,
    IOptions<DriftOptions> options,
    ILogger<IngestPipeline> logger)
{
    private readonly int _maxRecords = options.Value.MaxRecordsPerBatch;

    /// <summary>Processes a batch and returns its ack; the accepted records are on disk when it returns.</summary>
    /// <exception cref="MalformedBatchException">The batch breaks the contract.</exception>
    /// <exception cref="ArchiveUnavailableException">The records could not be archived (nothing is acknowledged).</exception>
    public async Task<IngestAck> ProcessAsync(IngestBatch batch, SchemaBindings bindings, CancellationToken cancellationToken)
    {
        using var span = DriftSpans.StartRoot("prediction log ingest", ActivityKind.Consumer);
        span?.SetTag("serving.logs.sequence", (long)batch.Sequence);
        span?.SetTag("serving.logs.records", batch.Count);
        var ack = await ProcessCoreAsync(batch, bindings, cancellationToken).ConfigureAwait(false);
        span?.SetTag("serving.logs.accepted", ack.Accepted);
        span?.SetTag("serving.logs.rejected", ack.Rejected);
        return ack;
    }

    private async Task<IngestAck> ProcessCoreAsync(IngestBatch batch, SchemaBindings bindings, CancellationToken cancellationToken)
    {
        BatchValidator.Validate(batch, _maxRecords);
        monitor.CountReceived(batch.Count);
        metrics.OnReceived(batch.Count);

        var schemas = batch.Schemas.Select(bindings.Bind).ToArray();
        var ack = new IngestAck { Sequence = batch.Sequence };
        var accepted = new List<ArchiveEntry>(batch.Count);
        var acceptedBindings = new List<SchemaBinding>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            var binding = schemas[record.Schema];
            if (Check(record, binding) is { } refusal)
            {
                ack.Rejections.Add(new Rejection { Index = i, Reason = refusal.Reason });
                metrics.OnRejected(refusal.Code);
                continue;
            }

            accepted.Add(new ArchiveEntry(binding.Schema, record, binding.IsUnknownVersion ? ArchiveStatus.UnknownVersion : ArchiveStatus.Scored));
            acceptedBindings.Add(binding);
        }

        try
        {
            await archive.AppendAsync(accepted, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArchiveUnavailableException(e);
        }

        monitor.CountArchived(accepted.Count);
        monitor.CountRejected(ack.Rejections.Count);
        metrics.OnArchived(accepted.Count);
        Score(accepted, acceptedBindings);
        ack.Accepted = accepted.Count;
        ack.Rejected = ack.Rejections.Count;
        return ack;
    }

    private static (string Code, string Reason)? Check(IngestRecord record, SchemaBinding binding)
    {
        var schema = binding.Schema;
        if (record.Features.Length != schema.FeatureNames.Count)
        {
            return ("feature_count", string.Create(CultureInfo.InvariantCulture,
                $"wrong number of features: the record has {record.Features.Length} feature value(s) but its schema ({schema.Model}/{schema.Version}) names {schema.FeatureNames.Count}"));
        }

        if (record.Outputs.Length != binding.OutputValues)
        {
            return ("output_count", string.Create(CultureInfo.InvariantCulture,
                $"wrong number of outputs: the record has {record.Outputs.Length} output value(s) but its schema's output sizes add up to {binding.OutputValues}"));
        }

        return binding.RejectReason is { } reason ? (binding.RejectCode!, "wrong number of features: " + reason) : null;
    }

    private void Score(List<ArchiveEntry> accepted, List<SchemaBinding> bindings)
    {
        var width = bindings.Select(b => b.Monitor?.Profile.Features.Count ?? 0).DefaultIfEmpty(0).Max();
        var features = ArrayPool<double>.Shared.Rent(Math.Max(1, width));
        var scored = new Dictionary<VersionMonitor, int>(ReferenceEqualityComparer.Instance);
        var unknown = new Dictionary<(string Model, string Version), int>();
        try
        {
            for (var i = 0; i < accepted.Count; i++)
            {
                var binding = bindings[i];
                if (binding.Monitor is not { } version)
                {
                    var key = (binding.Schema.Model, binding.Schema.Version);
                    unknown[key] = unknown.GetValueOrDefault(key) + 1;
                    continue;
                }

                var row = features.AsSpan(0, version.Profile.Features.Count);
                var prediction = binding.Projection!.Project(accepted[i].Record, row);
                if (version.Add(row, prediction))
                {
                    evaluator.Request(version);
                }

                scored[version] = scored.GetValueOrDefault(version) + 1;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(features);
        }

        foreach (var (version, count) in scored)
        {
            metrics.OnScored(version.Model, version.Version, count);
        }

        foreach (var ((model, version), count) in unknown)
        {
            metrics.OnUnknownVersion(count);
            if (monitor.CountUnknown(model, version, count))
            {
                Log.UnknownVersion(logger, model, version);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Drift: records of {Model} version {Version}, which has no reference profile, are archived but not scored")]
        public static partial void UnknownVersion(ILogger logger, string model, string version);
    }
}
