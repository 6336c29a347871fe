using Serving.Worker.Models;
using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// Writes a feature CSV into Redis with pipelined batches, in the model's layout. Writes are plain HSETs
/// (or SETs) of whole rows, so a load that failed midway can simply be run again.
/// </summary>
internal static class FeatureLoader
{
    public sealed record Result(long Written, IReadOnlyList<FeatureCsv.BadRow> Refused);

    public static async Task<Result> LoadAsync(
        TextReader csv, FeaturesConfig config, IDatabase database, int batchSize, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var header = FeatureCsv.ReadHeader(await csv.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? "");
        var missing = config.Fields!.Where(f => Array.IndexOf(header.Fields, f) < 0).ToArray();
        if (missing.Length > 0)
        {
            throw new FormatException($"the CSV header lacks the model's fields: {string.Join(", ", missing.Take(5))}{(missing.Length > 5 ? ", …" : "")}");
        }

        if (config.Layout == FeatureLayouts.Packed && PackedFeatures.FirstRefused(header.Fields) is { } column)
        {
            throw new FormatException($"the CSV column '{column.Name}' {column.Why}; rename it or load the model with layout: hash");
        }

        var refused = new List<FeatureCsv.BadRow>();
        var pending = new List<Task>(batchSize);
        long written = 0, lines = 0;
        var lineNumber = 1;
        while (await csv.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            lines++;
            if (line.Length == 0)
            {
                continue;
            }

            switch (FeatureCsv.ParseLine(lineNumber, line, header))
            {
                case FeatureCsv.Row row:
                    pending.Add(FeatureLayouts.WriteAsync(database, config.Layout, FeatureKeys.Format(config.KeyPattern!, row.Id), header.Fields, row.Values));
                    break;
                case FeatureCsv.BadRow bad:
                    refused.Add(bad);
                    break;
            }

            if (pending.Count >= batchSize)
            {
                written += await FlushAsync(pending).ConfigureAwait(false);
                progress?.Report(lines);
            }
        }

        written += await FlushAsync(pending).ConfigureAwait(false);
        progress?.Report(lines);
        return new Result(written, refused);
    }

    private static async Task<int> FlushAsync(List<Task> pending)
    {
        // Every HSET of the batch was written before the first reply is awaited: one pipelined round trip.
        await Task.WhenAll(pending).ConfigureAwait(false);
        var count = pending.Count;
        pending.Clear();
        return count;
    }
}
