using Serving.Worker.Models;
using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// Writes a feature CSV into Redis with pipelined batches, in the model's layout. Each write sets a whole row
/// (<see cref="FeatureLayouts.WriteAsync"/>), so a load that failed midway can simply be run again. An id given
/// twice is refused on its later line, as a row that doesn't parse is. A cancelled load waits for the writes it sent
/// and says how far it got (<see cref="FeatureLoadStoppedException"/>).
/// </summary>
internal static class FeatureLoader
{
    public sealed record Result(long Written, IReadOnlyList<FeatureCsv.BadRow> Refused);

    public static async Task<Result> LoadAsync(
        TextReader csv, FeaturesConfig config, IDatabase database, int batchSize, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var header = FeatureCsv.ReadHeader(await csv.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? "");
        if (FeatureCsv.MissingFields(header, config.Fields!) is { } missing)
        {
            throw new FormatException(missing);
        }

        if (config.Layout == FeatureLayouts.Packed && PackedFeatures.FirstRefused(header.Fields) is { } column)
        {
            throw new FormatException($"the CSV column '{column.Name}' {column.Why}; rename it or load the model with layout: hash");
        }

        var refused = new List<FeatureCsv.BadRow>();
        var pending = new List<(string Key, Task Write)>(batchSize);
        var firstLines = new Dictionary<string, int>(StringComparer.Ordinal);
        long written = 0, lines = 0;
        var lineNumber = 1;
        try
        {
            while (await csv.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                lineNumber++;
                if (line.Length == 0)
                {
                    continue;
                }

                // Rows as the progress's total counts them (the command's: lines not blank), or it read 'loaded 28 of 10 rows'.
                if (!string.IsNullOrWhiteSpace(line))
                {
                    lines++;
                }

                switch (FeatureCsv.ParseLine(lineNumber, line, header))
                {
                    case FeatureCsv.Row row when !firstLines.TryAdd(row.Id, row.Line):
                        // A later row would silently overwrite the first: one of the two is a mistake.
                        refused.Add(new FeatureCsv.BadRow(row.Line, $"id '{row.Id}' is also on line {firstLines[row.Id]} (each entity once)"));
                        break;
                    case FeatureCsv.Row row:
                        var key = FeatureKeys.Format(config.KeyPattern!, row.Id);
                        pending.Add((key, FeatureLayouts.WriteAsync(database, config.Layout, key, header.Fields, row.Values)));
                        break;
                    case FeatureCsv.BadRow bad:
                        refused.Add(bad);
                        break;
                }

                if (pending.Count >= batchSize)
                {
                    written += await FlushAsync(pending, written).ConfigureAwait(false);
                    progress?.Report(lines);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled (Ctrl+C) while reading: the writes in flight are awaited, so the count is exact, and it says where it stopped.
            written += await FlushAsync(pending, written).ConfigureAwait(false);
            throw new FeatureLoadStoppedException(written, lineNumber, cancellationToken);
        }

        written += await FlushAsync(pending, written).ConfigureAwait(false);
        progress?.Report(lines);
        return new Result(written, refused);
    }

    private static async Task<int> FlushAsync(List<(string Key, Task Write)> pending, long writtenBefore)
    {
        // Every write of the batch was sent before the first reply is awaited: one pipelined round trip.
        try
        {
            await Task.WhenAll(pending.Select(p => p.Write)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            var failed = pending.First(p => !p.Write.IsCompletedSuccessfully);
            var inner = failed.Write.Exception?.InnerException ?? e;
            throw new FeatureLoadException(writtenBefore + pending.Count(p => p.Write.IsCompletedSuccessfully), failed.Key, inner);
        }

        var count = pending.Count;
        pending.Clear();
        return count;
    }
}
