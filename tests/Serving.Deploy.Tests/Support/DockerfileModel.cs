using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serving.Deploy.Tests.Support;

/// <summary>One Dockerfile instruction: keyword, its text (continuations joined), and any here-documents.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, IReadOnlyList<string> Heredocs);

/// <summary>A small Dockerfile reader: continuation lines, comments, here-documents, stages, exec forms, ENV pairs.</summary>
internal sealed partial class DockerfileModel
{
    private DockerfileModel(IReadOnlyList<DockerInstruction> instructions)
    {
        Instructions = instructions;
        var lastFrom = instructions.Select((i, n) => (i, n)).Last(x => x.i.Keyword == "FROM").n;
        FinalStage = [.. instructions.Skip(lastFrom)];
    }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    /// <summary>The instructions of the last stage (the image that is built without --target).</summary>
    public IReadOnlyList<DockerInstruction> FinalStage { get; }

    public static DockerfileModel Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var instructions = new List<DockerInstruction>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var joined = new StringBuilder();
            while (line.TrimEnd().EndsWith('\\') && i + 1 < lines.Length)
            {
                joined.Append(line.TrimEnd()[..^1]).Append(' ');
                do
                {
                    line = lines[++i];
                }
                while (line.TrimStart().StartsWith('#') && i + 1 < lines.Length);
            }

            joined.Append(line);
            var full = joined.ToString().Trim();
            var space = full.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? full : full[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : full[(space + 1)..].Trim();
            var heredocs = new List<string>();
            foreach (Match marker in HeredocMarker().Matches(arguments))
            {
                var end = marker.Groups[1].Value;
                var body = new StringBuilder();
                while (++i < lines.Length && lines[i] != end)
                {
                    body.Append(lines[i]).Append('\n');
                }

                heredocs.Add(body.ToString());
            }

            instructions.Add(new DockerInstruction(keyword, arguments, heredocs));
        }

        return new DockerfileModel(instructions);
    }

    /// <summary>The final stage's instructions with this keyword.</summary>
    public IEnumerable<DockerInstruction> Final(string keyword) => FinalStage.Where(i => i.Keyword == keyword);

    /// <summary>An exec-form (JSON array) instruction's words, e.g. ENTRYPOINT ["serving"]; null when absent or in shell form.</summary>
    public List<string>? ExecForm(string keyword)
    {
        var instruction = Final(keyword).LastOrDefault();
        var json = instruction?.Arguments;
        if (keyword == "HEALTHCHECK" && json is not null)
        {
            var cmd = json.IndexOf("CMD ", StringComparison.Ordinal);
            json = cmd < 0 ? null : json[(cmd + 4)..].Trim();
        }

        return json is not null && json.StartsWith('[') ? JsonSerializer.Deserialize<List<string>>(json) : null;
    }

    /// <summary>The final stage's ENV pairs (key=value, quotes removed), later ones winning.</summary>
    public Dictionary<string, string?> Environment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var instruction in Final("ENV"))
        {
            foreach (Match pair in EnvPair().Matches(instruction.Arguments))
            {
                env[pair.Groups[1].Value] = pair.Groups[2].Value.Trim('"');
            }
        }

        return env;
    }

    /// <summary>Files the final stage writes from here-documents (COPY &lt;&lt;EOF /path), by destination.</summary>
    public Dictionary<string, string> HeredocFiles() =>
        Final("COPY").Where(c => c.Heredocs.Count == 1)
            .ToDictionary(c => c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], c => c.Heredocs[0], StringComparer.Ordinal);

    /// <summary>Global ARG defaults (before the first FROM).</summary>
    public Dictionary<string, string> GlobalArgs() =>
        Instructions.TakeWhile(i => i.Keyword != "FROM").Where(i => i.Keyword == "ARG" && i.Arguments.Contains('=', StringComparison.Ordinal))
            .ToDictionary(i => i.Arguments[..i.Arguments.IndexOf('=', StringComparison.Ordinal)], i => i.Arguments[(i.Arguments.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);

    [GeneratedRegex("<<-?'?\"?([A-Za-z_][A-Za-z0-9_]*)'?\"?")]
    private static partial Regex HeredocMarker();

    [GeneratedRegex("""([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)""")]
    private static partial Regex EnvPair();
}
