using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Commands;

/// <summary>
/// A command line that does not parse exits 2, as the commands' own usage errors do (a bad option value, file or
/// model) and as GNU tools do; 1 is a failure at run time. Before, System.CommandLine's parse errors (an unknown
/// option or command, a missing argument or option, a value of the wrong kind) exited 1, so a script could not tell
/// "you typed it wrong" from "the server refused". Run as the process is (serving.dll), nothing listening needed.
/// </summary>
public sealed class UsageExitCodeTests
{
    [Theory]
    [InlineData("Required command was not provided", "traffic")]
    [InlineData("Unrecognized command or argument 'bogus'", "bogus")]
    [InlineData("Required argument 'model' missing", "traffic", "get")]
    [InlineData("Unrecognized command or argument '--bogus'", "traffic", "list", "--bogus")]
    [InlineData("--timeout '0' is not a number of seconds", "traffic", "list", "--timeout", "0")]
    [InlineData("Option '--input' is required", "infer", "tabular")]
    [InlineData("Option '--file' is required", "features", "load", "--model", "tabular")]
    [InlineData("--batch 'many' is not a number of rows", "features", "load", "--model", "tabular", "--file", "f.csv", "--batch", "many")]
    [InlineData("--rest-port 'abc' is not a port", "worker", "--rest-port", "abc")]
    public async Task CommandLineThatDoesNotParse_ExitTwo_SaysWhy(string message, params string[] args)
    {
        var (code, output, error) = await ServingRun.RunApartAsync(args);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ExitZero_SaysTheExitCodes()
    {
        var (code, output, error) = await ServingRun.RunApartAsync(["--help"]);

        Assert.True(code == 0, $"exit {code}: {output}{error}");
        Assert.Contains("Exit codes: 0 done; 1 a failure at run time", output.ReplaceLineEndings(" "), StringComparison.Ordinal);
        Assert.Contains("2 a usage error", output.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }
}
