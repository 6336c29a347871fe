using System.Text;

namespace Serving.Testing;

/// <summary>
/// Mutations of the files an operator writes into a model repository (model.yaml and model.json, labels, fields,
/// features.csv, reference.json), for the seeded sweeps that load them: bytes flipped or cut, lines deleted or repeated,
/// a value swapped for an odd one (huge, NaN, negative, deeply nested, of another type, very long), an unknown key.
/// </summary>
public static class OperatorFileMutations
{
    /// <summary>What a mutation puts in place of a value: odd numbers, other types, nesting, long and broken text.</summary>
    public static readonly string[] OddValues =
    [
        "-1", "0", "-0", "1.5", "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "1e400", "-1e400", "1e-400", "NaN", "Infinity", "-Infinity", ".nan", ".inf", "-.inf", "0x10", "1_000",
        "~", "null", "true", "false", "\"\"", "''", "x", "[]", "{}", "[1, [2]]", "{a: 1}", "{\"a\": 1}",
        new string('[', 200) + new string(']', 200), new string('{', 200) + new string('}', 200),
        string.Concat(Enumerable.Repeat("{a: ", 200)) + "1" + new string('}', 200),
        new string('[', 100_000) + new string(']', 100_000), new string('[', 100_000), string.Concat(Enumerable.Repeat("- ", 50_000)) + "x",
        new string('x', 100_000), "\"" + new string('9', 5_000) + "\"", new string('9', 5_000), "1e" + new string('9', 400),
        "\"\\ud800\"", "\"a\\udc00\"", "\"\\u00\"", "\"\\x\"", "é", "\u0000", "\t", "&a", "*a", "*b", "!!binary AAAA", "!!int x",
        "<<: *a", "? x", "- x", "|", ">", "%YAML 1.2", "---", "...", "#", ",", ":", "\"", "'", "\\",
    ];

    /// <summary>A line put in among the others: unknown keys, a repeated key, documents, tabs, anchors.</summary>
    public static readonly string[] OddLines =
    [
        "unknown_key: 1", "  unknown_key: 1", "    unknown_key: 1", "name: other", "max_batch_size: 1", "inputs:", "- x", "  - x",
        "---", "...", "\tname: x", "a: &a [1, 2]", "b: *a", "c: *nowhere", "%TAG ! tag:x,2000:", "\"unterminated", "[", "{",
        "}", "]", ",", "# comment", "", "1,2,3", ",,,", "\"a\"\"b\",1", "id,x", "\uFEFF",
    ];

    /// <summary>1 to 3 mutations of <paramref name="text"/>'s lines, values or bytes; the result may not be valid UTF-8.</summary>
    public static byte[] Mutate(string text, Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            bytes = random.Next(4) switch
            {
                0 => MutateBytes(bytes, random),
                1 => Encoding.UTF8.GetBytes(MutateLines(Encoding.UTF8.GetString(bytes), random)),
                _ => Encoding.UTF8.GetBytes(ReplaceValue(Encoding.UTF8.GetString(bytes), random)),
            };
        }

        return bytes;
    }

    /// <summary>Bytes put in: ones UTF-8 never holds, a lone lead byte, an encoded surrogate, a byte order mark, a NUL.</summary>
    private static readonly byte[][] OddBytes = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], [0x00], [0xF4, 0x90, 0x80, 0x80], [0x80]];

    /// <summary>Inserts odd bytes, cuts the rest off, drops a few bytes, or flips a bit, at a random place.</summary>
    public static byte[] MutateBytes(byte[] bytes, Random random)
    {
        var at = random.Next(bytes.Length + 1);
        return random.Next(4) switch
        {
            0 => [.. bytes.AsSpan(0, at), .. OddBytes[random.Next(OddBytes.Length)], .. bytes.AsSpan(at)],
            1 => bytes[..at],
            2 => [.. bytes.AsSpan(0, at), .. bytes.AsSpan(Math.Min(bytes.Length, at + random.Next(1, 8)))],
            _ when at == bytes.Length => bytes,
            _ => [.. bytes.AsSpan(0, at), (byte)(bytes[at] ^ (1 << random.Next(8))), .. bytes.AsSpan(at + 1)],
        };
    }

    /// <summary>Deletes, repeats, swaps or inserts a line.</summary>
    public static string MutateLines(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var at = random.Next(lines.Count);
        switch (random.Next(5))
        {
            case 0:
                lines.RemoveAt(at);
                break;
            case 1:
                lines.Insert(at, lines[random.Next(lines.Count)]);
                break;
            case 2:
                (lines[at], lines[^1]) = (lines[^1], lines[at]);
                break;
            case 3:
                lines.Insert(at, OddLines[random.Next(OddLines.Length)]);
                break;
            default:
                var line = lines[at];
                var indent = line.Length - line.TrimStart().Length;
                lines.Insert(at, line[..indent] + OddLines[random.Next(OddLines.Length)]);
                break;
        }

        return string.Join('\n', lines);
    }

    /// <summary>Puts an odd value in place of a number, a word or a value after a separator (<c>:</c> <c>,</c> <c>[</c>).</summary>
    public static string ReplaceValue(string text, Random random)
    {
        if (text.Length == 0)
        {
            return OddValues[random.Next(OddValues.Length)];
        }

        // Start somewhere, move to the next token start, and replace the token (up to a separator).
        var at = random.Next(text.Length);
        while (at < text.Length && !(char.IsLetterOrDigit(text[at]) || text[at] is '-' or '.' or '"' or '[' or '{'))
        {
            at++;
        }

        var end = at;
        while (end < text.Length && text[end] is not (',' or '\n' or '\r' or ']' or '}' or ':' or ' '))
        {
            end++;
        }

        if (at >= text.Length)
        {
            at = end = text.Length;
        }

        return string.Concat(text.AsSpan(0, at), OddValues[random.Next(OddValues.Length)], text.AsSpan(end));
    }

    /// <summary>How many cases a sweep runs: <paramref name="ciDefault"/>, or the number in <paramref name="variable"/> for a longer search.</summary>
    public static int Iterations(string variable, int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n > 0 ? n : ciDefault;

    /// <summary>
    /// The failures of a sweep, one per kind (<paramref name="kind"/>: the exception's type and where it was thrown, or
    /// what was wrong with a refusal), each with the first input that showed it; none: an empty string.
    /// </summary>
    public sealed class Failures
    {
        private readonly Dictionary<string, string> _first = new(StringComparer.Ordinal);

        public void Add(string kind, string failure) => _first.TryAdd(kind, failure);

        public override string ToString() => string.Join("\n\n", _first.Values.Take(20));

        public bool Any => _first.Count > 0;
    }

    /// <summary>
    /// Runs <paramref name="sweep"/> on a thread of its own and fails if it has not ended within
    /// <paramref name="bound"/> (a hang), naming the case it was on: <paramref name="current"/>'s last value.
    /// </summary>
    public static void WithinBound(Action sweep, TimeSpan bound, Func<string> current)
    {
        var run = Task.Factory.StartNew(sweep, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(bound))
        {
            throw new TimeoutException($"the sweep did not end within {bound} (a hang?) on: {current()}");
        }

        run.GetAwaiter().GetResult();
    }
}
