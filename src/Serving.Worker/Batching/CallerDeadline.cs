namespace Serving.Worker.Batching;

/// <summary>
/// The two deadlines a request may carry that are not <see cref="System.Diagnostics.Stopwatch"/> timestamps: none
/// given (the model's <c>default_timeout_ms</c> applies) and the caller's own "none", a timeout too long to matter
/// (a day or more), which overrides the default as any timeout the caller gives does.
/// </summary>
internal static class CallerDeadline
{
    /// <summary>The caller gave no timeout; also the batcher's "no deadline" once the default is applied.</summary>
    public const long NotGiven = long.MaxValue;

    /// <summary>The caller gave a timeout of a day or more (up to Triton's 2^64 - 1 µs): no deadline, and no default.</summary>
    public const long Unbounded = long.MaxValue - 1;
}
