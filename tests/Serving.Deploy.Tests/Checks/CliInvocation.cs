using System.CommandLine;
using System.CommandLine.Parsing;
using Serving.Deploy.Tests.Support;
using Serving.Testing;

namespace Serving.Deploy.Tests.Checks;

/// <summary>
/// A <c>serving ...</c> argument list parsed by the real command tree. Role commands pass tokens they
/// don't know to the host as configuration (<c>--Serving:Worker:RestPort=9000</c>), so those must be
/// configuration keys the role reads; anything else is a problem.
/// </summary>
internal sealed class CliInvocation
{
    private CliInvocation(string role, string command)
    {
        Role = role;
        Command = command;
    }

    /// <summary>The first subcommand (up, worker, gateway, drift, traffic, features, infer), or empty.</summary>
    public string Role { get; }

    /// <summary>The full command path, e.g. <c>traffic set</c>.</summary>
    public string Command { get; }

    /// <summary>What is wrong with the arguments.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Options given explicitly, by name (<c>--rest-port</c>), with their tokens.</summary>
    public Dictionary<string, List<string>> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>Values of the command's arguments, in order.</summary>
    public List<string> Arguments { get; } = [];

    /// <summary>Configuration keys given as unmatched tokens (<c>--Serving:X:Y=value</c>).</summary>
    public Dictionary<string, string?> Configuration { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The single value of an option given explicitly, or null.</summary>
    public string? Option(string name) => Options.TryGetValue(name, out var tokens) && tokens.Count > 0 ? tokens[^1] : null;

    public static CliInvocation Parse(IReadOnlyList<string> args)
    {
        var result = Code.CommandLine().Parse([.. args]);
        var command = result.CommandResult.Command;
        var path = new List<string>();
        for (SymbolResult? r = result.CommandResult; r is CommandResult c && c.Command is not RootCommand; r = r.Parent)
        {
            path.Insert(0, c.Command.Name);
        }

        var cli = new CliInvocation(path.FirstOrDefault() ?? "", string.Join(' ', path));
        if (path.Count == 0)
        {
            cli.Problems.Add($"`serving {string.Join(' ', args)}` names no command (known: {string.Join(", ", Code.CommandLine().Subcommands.Select(s => s.Name))})");
        }

        cli.Problems.AddRange(result.Errors.Select(e => $"`serving {string.Join(' ', args)}`: {e.Message}"));
        for (SymbolResult? r = result.CommandResult; r is CommandResult c; r = r.Parent)
        {
            foreach (var option in c.Command.Options)
            {
                if (result.GetResult(option) is OptionResult { Implicit: false } given && !cli.Options.ContainsKey(option.Name))
                {
                    cli.Options[option.Name] = [.. given.Tokens.Select(t => t.Value)];
                }
            }
        }

        foreach (var argument in command.Arguments)
        {
            if (result.GetResult(argument) is ArgumentResult given)
            {
                cli.Arguments.AddRange(given.Tokens.Select(t => t.Value));
            }
        }

        cli.ReadUnmatched(result.UnmatchedTokens);
        cli.CheckRepositoryPaths(args);
        return cli;
    }

    private void ReadUnmatched(IReadOnlyList<string> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var key = token.TrimStart('-');
            string? value = null;
            var eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = key[(eq + 1)..];
                key = key[..eq];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith('-'))
            {
                value = tokens[++i];
            }

            var problem = ConfigurationKeys.IsConfigurationKey(key.Replace("__", ":", StringComparison.Ordinal))
                ? ConfigurationKeys.Check(key.Replace("__", ":", StringComparison.Ordinal), value, Role)
                : $"'{token}' is no option of `serving {Command}` and no configuration key";
            if (problem is null)
            {
                Configuration[key.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
            else
            {
                Problems.Add($"`serving {Command}`: {problem}");
            }
        }
    }

    /// <summary>Paths in the image's model repository (/models/...) must exist in the repository's models/.</summary>
    private void CheckRepositoryPaths(IEnumerable<string> args)
    {
        foreach (var arg in args.Where(a => a.StartsWith("/models/", StringComparison.Ordinal)))
        {
            var local = Path.Combine(RepoPaths.Models, arg["/models/".Length..]);
            if (!File.Exists(local) && !Directory.Exists(local))
            {
                Problems.Add($"`serving {Command}`: {arg} is not in the image (models/{arg["/models/".Length..]} does not exist)");
            }
        }
    }
}
