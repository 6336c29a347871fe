using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Generator;

/// <summary>
/// One in-flight capacity unit of the open model: a long-lived loop that waits for the scheduler to hand it a
/// due request, sends it, records it and returns itself to the free queue. The hand-off is a reusable
/// value-task source, so dispatching a request allocates nothing.
/// </summary>
internal sealed class OpenLoopSlot : IValueTaskSource<long>
{
    private readonly IInferCaller _caller;
    private readonly LoadMeasurement _measurement;
    private readonly RunControl _control;
    private readonly ConcurrentQueue<OpenLoopSlot> _free;
    private ManualResetValueTaskSourceCore<long> _signal = new() { RunContinuationsAsynchronously = true };

    /// <summary>Creates the slot and starts its loop, idle until <see cref="Dispatch"/>.</summary>
    public OpenLoopSlot(IInferCaller caller, LoadMeasurement measurement, RunControl control, ConcurrentQueue<OpenLoopSlot> free)
    {
        _caller = caller;
        _measurement = measurement;
        _control = control;
        _free = free;
        Loop = RunAsync();
    }

    /// <summary>Completes when the slot has been closed.</summary>
    public Task Loop { get; }

    /// <summary>Hands the slot a request due at <paramref name="intended"/>; the call runs on the thread pool.</summary>
    public void Dispatch(long intended) => _signal.SetResult(intended);

    /// <summary>Ends the loop; only for a slot sitting in the free queue.</summary>
    public void Close() => _signal.SetResult(-1);

    private async Task RunAsync()
    {
        while (true)
        {
            var intended = await new ValueTask<long>(this, _signal.Version);
            if (intended < 0)
            {
                return;
            }

            var sent = Timestamps.Now;
            try
            {
                var outcome = await _caller.CallAsync(_control.HardStop).ConfigureAwait(false);
                _measurement.Record(intended, sent, Timestamps.Now, outcome);
            }
            catch (Exception e)
            {
                _measurement.RecordClientError(intended, e);
            }

            _free.Enqueue(this);
        }
    }

    /// <inheritdoc />
    long IValueTaskSource<long>.GetResult(short token)
    {
        var result = _signal.GetResult(token);
        _signal.Reset();
        return result;
    }

    /// <inheritdoc />
    ValueTaskSourceStatus IValueTaskSource<long>.GetStatus(short token) => _signal.GetStatus(token);

    /// <inheritdoc />
    void IValueTaskSource<long>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _signal.OnCompleted(continuation, state, token, flags);
}
