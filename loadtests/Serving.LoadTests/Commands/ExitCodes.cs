namespace Serving.LoadTests.Commands;

/// <summary>
/// What <c>serving-loadtest</c>'s exit code says, the same for every command (the root's <c>--help</c> and the README
/// list them): 2 for a usage error as GNU tools (and <c>serving</c>) exit, 1 for a failure at run time, 130 as a shell
/// reports a process Ctrl+C ended.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done: every call answered, every file written.</summary>
    public const int Ok = 0;

    /// <summary>A failure at run time: the target did not answer or refused the first request, a server did not start, a report file could not be written.</summary>
    public const int Failure = 1;

    /// <summary>
    /// A usage error: a command line that does not parse (an unknown option, a missing one, a value of the wrong kind) or an
    /// option's value, file, folder or model the command refuses; nothing was sent.
    /// </summary>
    public const int Usage = 2;

    /// <summary><c>run</c>: the run went to its end and its report is printed, but some calls failed (the report's error table says which).</summary>
    public const int CallsFailed = 3;

    /// <summary>Stopped by Ctrl+C (or SIGTERM) before the end; what was measured until then is printed, marked as stopped early.</summary>
    public const int Interrupted = 130;

    /// <summary>The list, for the root command's <c>--help</c>.</summary>
    public const string Help =
        "Exit codes: 0 done; 1 a failure at run time (the target did not answer or refused the first request, a server did not start, a report file could not be written); "
        + "2 a usage error (a command line that does not parse, or an option value, file or model the command refuses; nothing is sent); "
        + "3 run: some calls failed (the report says which); 130 stopped by Ctrl+C or SIGTERM (the report of what ran is printed, marked stopped early), "
        + "except echo-server and naive-server, whose normal stop it is (0).";
}
