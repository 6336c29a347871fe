using Serving.LoadTests.Targets;

namespace Serving.LoadTests.FeatureBench;

/// <summary>A caller that sends its requests in turn, one per call: each caller walks its own share of the entities.</summary>
internal sealed class RotatingCaller(IInferCaller[] callers) : IInferCaller
{
    private int _next;

    /// <inheritdoc />
    public ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
    {
        var caller = callers[_next];
        _next = _next + 1 == callers.Length ? 0 : _next + 1;
        return caller.CallAsync(cancellationToken);
    }
}
