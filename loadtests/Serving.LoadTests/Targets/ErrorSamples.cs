using System.Collections.Concurrent;

namespace Serving.LoadTests.Targets;

/// <summary>The first error message seen per outcome, so a report says why calls failed, not only how many.</summary>
internal sealed class ErrorSamples
{
    private readonly ConcurrentDictionary<CallOutcome, string> _first = new();

    /// <summary>Keeps <paramref name="exception"/>'s message if it is the first for <paramref name="outcome"/>.</summary>
    public CallOutcome Record(CallOutcome outcome, Exception exception)
    {
        // Checked first so repeated failures of a known kind format nothing.
        if (!_first.ContainsKey(outcome))
        {
            _first.TryAdd(outcome, Describe(exception));
        }

        return outcome;
    }

    /// <summary>The first message for <paramref name="outcome"/>, if one was kept.</summary>
    public string? For(CallOutcome outcome) => _first.TryGetValue(outcome, out var message) ? message : null;

    private static string Describe(Exception exception)
    {
        var message = exception.Message;
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            message += " → " + inner.Message;
        }

        return message.ReplaceLineEndings(" ");
    }
}
