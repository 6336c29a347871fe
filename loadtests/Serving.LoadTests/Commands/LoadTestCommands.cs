using System.CommandLine;
using System.CommandLine.Invocation;

namespace Serving.LoadTests.Commands;

/// <summary>The <c>serving-loadtest</c> command tree.</summary>
internal static class LoadTestCommands
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand CreateRoot() => new($"Load generator and baselines for the Serving gateway (loopback targets only). {ExitCodes.Help}")
    {
        RunCommand.Create(),
        EchoServerCommand.Create(),
        NaiveServerCommand.Create(),
        RawOrtCommand.Create(),
        H2LoadCheckCommand.Create(),
        BenchCommand.Create(),
        FeaturesBenchCommand.Create(),
        DriftBenchCommand.Create(),
        GatewayBenchCommand.Create(),
    };

    /// <summary>
    /// Parses and runs <paramref name="args"/>: the command's exit code, or <see cref="ExitCodes.Usage"/> when the command
    /// line did not parse (System.CommandLine's own code for that is 1, the code of a failure at run time here).
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null, CancellationToken cancellationToken = default)
    {
        var parse = CreateRoot().Parse(args);
        var code = await parse.InvokeAsync(configuration, cancellationToken);
        return parse.Action is ParseErrorAction ? ExitCodes.Usage : code;
    }
}
