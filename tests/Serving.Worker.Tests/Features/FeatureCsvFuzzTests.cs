using System.Globalization;
using System.Text;
using Serving.Worker.Features;
using Serving.Worker.Models;
using Serving.Worker.Tests.TestSupport;
using StackExchange.Redis;

namespace Serving.Worker.Tests.Features;

/// <summary>
/// Seeded mutation sweep of a feature CSV, read by both of its readers: the worker's in-memory store
/// (<see cref="InMemoryFeatureStore.Load"/>, a model's features.csv) and <c>serving features load</c>'s
/// <see cref="FeatureLoader"/> (here writing to a recording <see cref="IDatabase"/>, in both layouts). Bytes flipped,
/// cut, dropped or not UTF-8, a byte order mark, CRLF, quotes unbalanced or around every field, a line break inside
/// quotes, columns added or taken away, header names repeated, ids repeated, empty and huge lines, NaN and Infinity,
/// a header alone, an empty file. Oracle: the file is refused as a whole with the readers' own exception
/// (ModelConfigException naming the file / FormatException), or every non-empty line after the header is either
/// loaded or refused by its line number with a reason in the file's terms; a line the mutation left as it was loads
/// its own values (or is refused as a repeat of an earlier id); a line that is not UTF-8 text loads nothing; both
/// readers load the same entities and refuse the same lines for the same reasons. Never another exception or a hang.
/// </summary>
public sealed class FeatureCsvFuzzTests : IDisposable
{
    // Mutated files per run: 400 in CI (1-3 s); FEATURE_CSV_FUZZ_ITERATIONS for a longer search.
    private static readonly int Iterations = OperatorFileMutations.Iterations("FEATURE_CSV_FUZZ_ITERATIONS", 400);

    private static readonly string[] Fields = ["a", "b", "c"];

    // Words of .NET that a reason leaking a library's own message would hold.
    private static readonly string[] Internals = ["System.", "Exception", "Serving.", "StackExchange", "   at "];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A base file: its header, its data lines and what each means (id, values).</summary>
    private sealed record Sample(string Text, string Header, (string Line, string Id, double[] Values)[] Rows);

    private static Sample[] Samples()
    {
        (string Id, double[] Values)[] entities =
        [
            ("1001", [17.99, -0.0042, 1e-5]), ("1002", [0, -0.0, 123456789012345]), ("x-3", [1.5e300, 4.9e-324, 0.1]),
            ("é4", [3, 2, 1]), ("5", [-1, 2.5, 1e22]), ("6", [0.30000000000000004, 99, -7.25]),
        ];
        string Plain((string Id, double[] Values) e) => e.Id + "," + string.Join(",", e.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        string Quoted((string Id, double[] Values) e) => string.Join(",", new[] { e.Id }.Concat(e.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Select(c => $"\"{c}\""));
        string Spaced((string Id, double[] Values) e) => " " + e.Id + " ,\t" + string.Join(" , ", e.Values.Select(v => v.ToString("E17", CultureInfo.InvariantCulture)));
        Sample Make(string header, Func<(string Id, double[] Values), string> line, string newline, string bom = "")
        {
            var rows = entities.Select(e => (line(e), e.Id, e.Values)).ToArray();
            return new Sample(bom + header + newline + string.Join(newline, rows.Select(r => r.Item1)) + newline, header, rows);
        }

        return
        [
            Make("id,a,b,c", Plain, "\n"),
            Make("\"id\",\"a\",\"b\",\"c\"", Quoted, "\r\n", "\uFEFF"),
            Make("id , a , b , c", Spaced, "\n"),
            Make("id,c,extra,a,b", e => $"{e.Id},{e.Values[2]:R},7,{e.Values[0]:R},{e.Values[1]:R}", "\n"),
        ];
    }

    [Fact]
    public void Load_MutatedFeatureCsv_LoadsWhatItMeansOrRefusesSayingWhere()
    {
        var samples = Samples();
        var random = new Random(20261207);
        var path = Path.Combine(_temp.Path, "features.csv");
        var current = "";
        var failures = new OperatorFileMutations.Failures();
        var (loaded, refusedFiles, refusedLines) = (0, 0, 0);
        OperatorFileMutations.WithinBound(
            () =>
            {
                for (var i = 0; i < Iterations; i++)
                {
                    var sample = samples[random.Next(samples.Length)];
                    var bytes = Mutate(sample.Text, random);
                    var layout = random.Next(2) == 0 ? FeatureLayouts.Hash : FeatureLayouts.Packed;
                    current = $"seed 20261207, case {i} ({layout}): {Convert.ToBase64String(bytes)}";
                    File.WriteAllBytes(path, bytes);
                    switch (Check(sample, bytes, path, layout, current, failures))
                    {
                        case null:
                            refusedFiles++;
                            break;
                        case var n:
                            loaded++;
                            refusedLines += n.Value;
                            break;
                    }
                }
            },
            TimeSpan.FromMinutes(Math.Max(2, Iterations / 2000)),
            () => current);

        Assert.False(failures.Any, failures.ToString());
        Assert.True(loaded > Iterations / 10 && refusedFiles > 0 && refusedLines > 0, $"{loaded} loaded ({refusedLines} lines refused), {refusedFiles} refused: the mutations should give all three");
    }

    private static byte[] Mutate(string text, Random random) => random.Next(3) switch
    {
        0 => OperatorFileMutations.Mutate(text, random),
        _ => Encoding.UTF8.GetBytes(CsvMutation(text, random)),
    };

    // CSV-shaped mutations: quoting, line breaks in quotes, columns, repeated names and ids, odd numbers, long lines.
    private static string CsvMutation(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var at = random.Next(lines.Count);
        string[] odd =
        [
            "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "4.9e-324", "1,5", "\"1,5\"", "0x10", "1_000", " 1 ", "+1", "--1", "1e", "", "\"\"",
            "\"", "\"a", "a\"", "\"a\"b", "\"a\nb\"", "\"1\r\n2\"", "\t", "١٢", "∞", "1.5\u00A0", new string('9', 400), new string('1', 20_000),
            "\"" + new string('x', 20_000) + "\"", "\u0000", "\uFFFD", "é",
        ];
        switch (random.Next(9))
        {
            case 0: // a cell replaced by an odd value
                var cells = lines[at].Split(',');
                cells[random.Next(cells.Length)] = odd[random.Next(odd.Length)];
                lines[at] = string.Join(',', cells);
                break;
            case 1: // a column added or dropped on one line, or on every line
                foreach (var l in random.Next(2) == 0 ? [at] : Enumerable.Range(0, lines.Count).ToArray())
                {
                    var c = lines[l].Split(',').ToList();
                    if (random.Next(2) == 0 && c.Count > 1)
                    {
                        c.RemoveAt(random.Next(c.Count));
                    }
                    else
                    {
                        c.Insert(random.Next(c.Count + 1), odd[random.Next(odd.Length)]);
                    }

                    lines[l] = string.Join(',', c);
                }

                break;
            case 2: // a header name repeated
                var header = lines[0].Split(',');
                header[random.Next(1, header.Length)] = header[random.Next(header.Length)];
                lines[0] = string.Join(',', header);
                break;
            case 3: // a line repeated (an id given twice), or an empty one put in
                lines.Insert(random.Next(1, lines.Count + 1), random.Next(2) == 0 ? lines[random.Next(1, lines.Count)] : random.Next(2) == 0 ? "" : " ");
                break;
            case 4: // a line break inside quotes: a quoted field spread over two lines
                var quoteAt = random.Next(lines[at].Length + 1);
                lines[at] = lines[at][..quoteAt] + "\"" + lines[at][quoteAt..];
                lines.Insert(at + 1, "\"" + (random.Next(2) == 0 ? ",1,2,3" : ""));
                break;
            case 5: // CRLF, a lone CR, or a byte order mark
                return random.Next(3) switch
                {
                    0 => text.Replace("\n", "\r\n", StringComparison.Ordinal),
                    1 => text.Replace("\n", "\r", StringComparison.Ordinal),
                    _ => "\uFEFF" + text,
                };
            case 6: // the header alone, or nothing
                return random.Next(2) == 0 ? lines[0] + (random.Next(2) == 0 ? "\n" : "") : random.Next(2) == 0 ? "" : "\n\n";
            case 7: // a huge line
                lines.Insert(random.Next(lines.Count + 1), "77," + string.Join(',', Enumerable.Repeat(new string('3', random.Next(1, 50_000)), 3)));
                break;
            default: // every cell quoted
                lines[at] = string.Join(',', lines[at].Split(',').Select(c => "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
                break;
        }

        return string.Join('\n', lines);
    }

    // Loads the mutated file with both readers and checks what they did; the count of refused lines, or null when the
    // file was refused as a whole.
    private static int? Check(Sample sample, byte[] bytes, string path, string layout, string current, OperatorFileMutations.Failures failures)
    {
        var memoryRefused = new List<FeatureCsv.BadRow>();
        InMemoryFeatureStore? memory = null;
        string? memoryRefusal = null;
        try
        {
            memory = InMemoryFeatureStore.Load(path, "k:{id}", Fields, memoryRefused.Add);
        }
        catch (ModelConfigException e)
        {
            memoryRefusal = e.Message;
        }
        catch (Exception e)
        {
            failures.Add("memory " + e.GetType().Name + Where(e), $"in-memory store threw {e}\n{current}");
            return null;
        }

        var database = RecordingDatabase.New();
        FeatureLoader.Result? result = null;
        string? loaderRefusal = null;
        try
        {
            using var reader = new StreamReader(new MemoryStream(bytes));
            var config = new FeaturesConfig { Fields = [.. Fields], KeyPattern = "k:{id}", Layout = layout };
            result = FeatureLoader.LoadAsync(reader, config, database.AsDatabase(), 3, null, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (FormatException e)
        {
            loaderRefusal = e.Message;
        }
        catch (Exception e)
        {
            failures.Add("loader " + e.GetType().Name + Where(e), $"features load threw {e}\n{current}");
            return null;
        }

        if (memoryRefusal is not null || loaderRefusal is not null)
        {
            // Only a header that can't give the fields refuses a whole file (a packed column name with '=' too, for the loader alone).
            var packedName = loaderRefusal is not null && loaderRefusal.Contains("packed layout", StringComparison.Ordinal);
            if ((memoryRefusal is null && !packedName) || loaderRefusal is null)
            {
                failures.Add("readers disagree", $"in-memory: {memoryRefusal ?? "loaded"}; features load: {loaderRefusal ?? "loaded"}\n{current}");
            }
            else if (memoryRefusal is not null && memoryRefusal != $"features.csv: {loaderRefusal}; fix it and the model's versions load again")
            {
                failures.Add("refusal", $"in-memory refusal '{memoryRefusal}' does not name the file and say what the loader says ('{loaderRefusal}')\n{current}");
            }

            if (Internals.FirstOrDefault(w => (memoryRefusal + loaderRefusal).Contains(w, StringComparison.Ordinal)) is { } word)
            {
                failures.Add("refusal words " + word, $"a refusal holds '{word}': {memoryRefusal} / {loaderRefusal}\n{current}");
            }

            return null;
        }

        CheckLoaded(sample, bytes, memory!, memoryRefused, result!, database.Written(layout), current, failures);
        return memoryRefused.Count;
    }

    private static void CheckLoaded(
        Sample sample, byte[] bytes, InMemoryFeatureStore memory, List<FeatureCsv.BadRow> memoryRefused, FeatureLoader.Result result,
        Dictionary<string, Dictionary<string, double>> written, string current, OperatorFileMutations.Failures failures)
    {
        // Both readers: the same lines refused, for the same reasons; the same entities with the same values.
        if (!memoryRefused.SequenceEqual(result.Refused))
        {
            failures.Add("refused lines differ", $"in-memory refused [{string.Join("; ", memoryRefused)}], features load [{string.Join("; ", result.Refused)}]\n{current}");
        }

        if (result.Written != written.Count)
        {
            failures.Add("written count", $"features load says {result.Written} written, {written.Count} keys were\n{current}");
        }

        var keys = written.Keys.ToArray();
        var fetched = memory.FetchAsync(keys, Fields, CancellationToken.None).Result;
        var different = keys.Where((k, i) => fetched[i] is null || !Same(fetched[i]!, [.. Fields.Select(f => written[k].GetValueOrDefault(f, double.NaN))])).FirstOrDefault();
        if (memory.Count != written.Count || different is not null)
        {
            failures.Add("entities differ", $"in-memory holds {memory.Count} entities, features load wrote {written.Count}; first that differs: {different}\n{current}");
        }

        foreach (var bad in result.Refused)
        {
            if (bad.Reason.Length == 0 || Internals.FirstOrDefault(w => bad.Reason.Contains(w, StringComparison.Ordinal)) is { } word)
            {
                failures.Add("reason words", $"line {bad.Line}'s reason is '{bad.Reason}'\n{current}");
            }
        }

        foreach (var values in written.Values)
        {
            if (values.Values.Any(v => !double.IsFinite(v)))
            {
                failures.Add("not finite", $"a value that is not finite was written: {string.Join(",", values)}\n{current}");
            }
        }

        // Line by line, as StreamReader.ReadLine splits them (\n, \r\n or \r), over the bytes after a UTF-8 byte order mark.
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
        {
            return; // read as UTF-16 or UTF-32: no line of the sample is there as it was
        }

        var lines = Lines(span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? span[3..] : span);
        var nonEmpty = lines.Skip(1).Count(l => l.Length > 0);
        if (written.Count + result.Refused.Count != nonEmpty)
        {
            failures.Add("lines unaccounted", $"{nonEmpty} data lines, {written.Count} written + {result.Refused.Count} refused\n{current}");
        }

        var refusedAt = result.Refused.ToDictionary(b => b.Line, b => b.Reason);
        for (var n = 1; n < lines.Count; n++)
        {
            var line = lines[n];
            if (!System.Text.Unicode.Utf8.IsValid(line))
            {
                // Not text: no id or number can be read from it as it was written; the line is refused, nothing is loaded from it.
                if (!refusedAt.ContainsKey(n + 1))
                {
                    failures.Add("not UTF-8 loaded", $"line {n + 1} is not UTF-8 but was loaded\n{current}");
                }

                continue;
            }

            if (Encoding.UTF8.GetString(lines[0]).TrimStart('\uFEFF') != sample.Header)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(line);
            if (sample.Rows.FirstOrDefault(r => r.Line == text) is { Line: not null } row)
            {
                // As it was: its values, under its id, unless an earlier line gave the id.
                var key = "k:" + row.Id;
                var repeat = refusedAt.TryGetValue(n + 1, out var reason) && reason.StartsWith($"id '{row.Id}' is also on line ", StringComparison.Ordinal);
                if (!repeat && !(written.TryGetValue(key, out var values) && Same(Fields.Select(f => values[f]).ToArray(), row.Values)))
                {
                    failures.Add("unchanged line", $"line {n + 1} ('{text}') is as the sample wrote it, but was not loaded with its values ({(refusedAt.TryGetValue(n + 1, out var why) ? why : "not refused")})\n{current}");
                }
            }
        }
    }

    private static bool Same(double[] a, double[] b) => a.Length == b.Length && a.Zip(b).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second));

    private static List<byte[]> Lines(ReadOnlySpan<byte> bytes)
    {
        var lines = new List<byte[]>();
        while (!bytes.IsEmpty)
        {
            var end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                lines.Add(bytes.ToArray());
                break;
            }

            lines.Add(bytes[..end].ToArray());
            bytes = bytes[(end + (bytes[end] == '\r' && end + 1 < bytes.Length && bytes[end + 1] == '\n' ? 2 : 1))..];
        }

        return lines;
    }

    private static string Where(Exception e) => " at " + (e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "?");
}
