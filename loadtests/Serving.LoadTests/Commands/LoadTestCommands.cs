using System.CommandLine;

namespace Serving.LoadTests.Commands;

/// <summary>The <c>serving-loadtest</c> command tree.</summary>
internal static class LoadTestCommands
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand CreateRoot() => new("Load generator and baselines for the Serving gateway (loopback targets only).")
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
}
