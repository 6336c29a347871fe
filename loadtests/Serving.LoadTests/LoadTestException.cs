namespace Serving.LoadTests;

/// <summary>
/// A mistake the user can fix, printed as one <c>error:</c> line without a stack trace: in the command line (an option's
/// value, a file or model it names: <see cref="Usage"/>, exit 2) or in what the command met at run time (a target that
/// does not answer, a server that would not start: exit 1).
/// </summary>
internal sealed class LoadTestException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when the command line is what must change (exit 2, as for one that does not parse).</summary>
    public bool IsUsage { get; private init; }

    /// <summary>A usage error: an option's value, or a file, folder or model the command line names, that the command refuses.</summary>
    public static LoadTestException Usage(string message, Exception? inner = null) => new(message, inner) { IsUsage = true };
}
