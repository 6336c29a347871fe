using System.Collections.Concurrent;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.TestSupport;

/// <summary>A client whose calls answer at once and note when each was sent.</summary>
internal sealed class RecordingClient : IInferClient
{
    public ConcurrentBag<long> SentAt { get; } = [];

    public ErrorSamples Errors { get; } = new();

    public int RequestBytes => 1;

    public IInferCaller CreateCaller(int index) => new Caller(SentAt);

    public Task<string?> PreflightAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public void Dispose()
    {
    }

    private sealed class Caller(ConcurrentBag<long> sentAt) : IInferCaller
    {
        public ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
        {
            sentAt.Add(Timestamps.Now);
            return ValueTask.FromResult(CallOutcome.Ok);
        }
    }
}
