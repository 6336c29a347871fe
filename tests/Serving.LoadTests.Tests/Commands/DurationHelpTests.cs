using System.CommandLine;
using System.Text.RegularExpressions;
using Serving.LoadTests.Commands;

namespace Serving.LoadTests.Tests.Commands;

/// <summary>Every duration option's default, as <c>--help</c> shows it, is a value the option's parser takes.</summary>
public sealed partial class DurationHelpTests
{
    public static TheoryData<string, string> DurationOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var command in LoadTestCommands.CreateRoot().Subcommands)
        {
            foreach (var option in command.Options.OfType<Option<CliDuration>>())
            {
                data.Add(command.Name, option.Name);
            }
        }

        return data;
    }

    [Fact]
    public void DurationOptions_AreFound_AndNoneWithADefaultIsAPlainTimeSpan()
    {
        // Guards the theory against finding none, and against a duration option its help would print as 00:00:10.
        Assert.Contains(DurationOptions(), row => (string)row[0] == "run" && (string)row[1] == "--wake-interval");
        Assert.DoesNotContain(LoadTestCommands.CreateRoot().Subcommands.SelectMany(c => c.Options), o => o is Option<TimeSpan> { DefaultValueFactory: not null });
    }

    [Theory]
    [MemberData(nameof(DurationOptions))]
    public void Help_DurationDefault_IsOneTheParserTakes(string command, string name)
    {
        var shown = DefaultShown(command, name);

        var root = LoadTestCommands.CreateRoot();
        var option = root.Subcommands.Single(c => c.Name == command).Options.OfType<Option<CliDuration>>().Single(o => o.Name == name);
        var given = root.Parse([command, name, shown]);

        Assert.DoesNotContain(given.Errors, e => e.Message.Contains(shown, StringComparison.Ordinal));
        Assert.Equal(root.Parse([command]).GetValue(option), given.GetValue(option));
    }

    private static string DefaultShown(string command, string name)
    {
        var root = LoadTestCommands.CreateRoot();
        var output = new StringWriter();
        root.Parse([command, "--help"]).Invoke(new InvocationConfiguration { Output = output });
        var line = output.ToString().Split('\n').Single(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));
        return DefaultPattern().Match(line) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no default in: {line}");
    }

    [GeneratedRegex(@"\[default: ([^\]]+)\]")]
    private static partial Regex DefaultPattern();
}
