using System.CommandLine;
using System.CommandLine.Invocation;

namespace Serving.Commands;

/// <summary>The <c>serving</c> command tree.</summary>
internal static class ServingCommandLine
{
    /// <summary>
    /// The exit code of a command line that is wrong: one that does not parse (an unknown option or command, a missing
    /// argument, a value of the wrong kind) or that a command refuses before doing anything (an unknown setting, a bad
    /// value, file or model name), as GNU tools exit 2 for a usage error. A failure at run time is 1.
    /// </summary>
    public const int UsageError = 2;

    // Said under the root's --help. Each command's --help (and README.md) says what else its codes mean.
    private const string ExitCodes =
        "Exit codes: 0 done; 1 a failure at run time (a server or Redis refused or failed); 2 a usage error: a command line that does not parse "
        + "(an unknown option, a missing argument) or a value, setting, file, model name or address the command refuses "
        + "(for worker, gateway, drift and up also a start that failed: a setting refused, a port taken); 130 features load stopped by Ctrl+C or SIGTERM "
        + "(the servers drain and exit 0).";

    public static RootCommand Create()
    {
        var root = new RootCommand($"Serving: ONNX models over the Open Inference Protocol (gRPC + REST). {ExitCodes}");
        root.Add(UpCommand.Create());
        root.Add(WorkerCommand.Create());
        root.Add(GatewayCommand.Create());
        root.Add(TrafficCommand.Create());
        root.Add(DriftCommand.Create());
        root.Add(InferCommand.Create());
        root.Add(FeaturesCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>: the command's exit code, or <see cref="UsageError"/> when the command line
    /// did not parse (System.CommandLine's own code for that is 1, which the commands use for a failure at run time).
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        var parse = Create().Parse(args);
        var code = await parse.InvokeAsync(configuration).ConfigureAwait(false);
        return parse.Action is ParseErrorAction ? UsageError : code;
    }
}
