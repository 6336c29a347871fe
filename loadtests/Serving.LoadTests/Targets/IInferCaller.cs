namespace Serving.LoadTests.Targets;

/// <summary>One logical caller: owns whatever per-caller state lets a call avoid allocating. Not thread-safe; one call at a time.</summary>
internal interface IInferCaller
{
    /// <summary>Sends the pre-serialized request once and waits for the whole response.</summary>
    ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken);
}
