using System.Globalization;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// The <c>calls</c> of each command in Redis's <c>INFO commandstats</c>, as the server counted them
/// (commands a Lua script runs are counted too, under their own names).
/// </summary>
internal sealed class CommandStats
{
    private readonly Dictionary<string, long> _calls;

    private CommandStats(Dictionary<string, long> calls) => _calls = calls;

    /// <summary>No commands counted.</summary>
    public static CommandStats Empty { get; } = new(new Dictionary<string, long>(StringComparer.Ordinal));

    /// <summary>The commands seen, lower case (subcommands as <c>client|setname</c>).</summary>
    public IEnumerable<string> Commands => _calls.Keys;

    /// <summary>The calls of <paramref name="command"/> (lower case); 0 when the server never ran it.</summary>
    public long Calls(string command) => _calls.GetValueOrDefault(command);

    /// <summary>The sum of <see cref="Calls"/> over <paramref name="commands"/>.</summary>
    public long Calls(IEnumerable<string> commands) => commands.Sum(Calls);

    /// <summary>
    /// Parses the reply of <c>INFO commandstats</c>: lines <c>cmdstat_&lt;name&gt;:calls=N,usec=…</c>;
    /// section headers, blank lines and other sections' lines are skipped.
    /// </summary>
    /// <exception cref="FormatException">A <c>cmdstat_</c> line without a readable <c>calls=</c> count.</exception>
    public static CommandStats Parse(string info)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= "cmdstat_".Length)
            {
                throw new FormatException($"INFO commandstats line without a command name: '{line}'");
            }

            var name = line["cmdstat_".Length..colon].ToLowerInvariant();
            calls[name] = calls.GetValueOrDefault(name) + ReadCalls(line, colon + 1);
        }

        return new CommandStats(calls);
    }

    /// <summary>What the server ran between <paramref name="before"/> and <paramref name="after"/> (a counter reset reads as the after value).</summary>
    public static CommandStats Between(CommandStats before, CommandStats after) =>
        new(after._calls.ToDictionary(
            p => p.Key,
            p => p.Value >= before.Calls(p.Key) ? p.Value - before.Calls(p.Key) : p.Value,
            StringComparer.Ordinal));

    private static long ReadCalls(string line, int start)
    {
        foreach (var field in line[start..].Split(','))
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && field.AsSpan(0, equals).SequenceEqual("calls")
                && long.TryParse(field.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var calls))
            {
                return calls;
            }
        }

        throw new FormatException($"INFO commandstats line without a calls count: '{line}'");
    }
}
