using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;

namespace Serving.Worker.Batching;

/// <summary>A request waiting in a batcher's queue.</summary>
internal sealed class BatchItem(InferTensor[] inputs, string[] outputNames, long enqueuedAt, long deadlineAt, FeatureItem? features = null)
{
    /// <summary>Inputs in signature order; dim 0 is the batch. An entity-form request's target slot is null until filled.</summary>
    public InferTensor[] Inputs { get; } = inputs;

    public string[] OutputNames { get; } = outputNames;

    /// <summary>Set for an entity-form request: the lookup fills its target input inside the batch.</summary>
    public FeatureItem? Features { get; } = features;

    public int Rows { get; } = features is not null ? features.Request.Ids.Length : checked((int)Array.Find(inputs, i => i is not null)!.Shape[0]);

    public long EnqueuedAt { get; } = enqueuedAt;

    /// <summary><see cref="long.MaxValue"/> when there is no deadline.</summary>
    public long DeadlineAt { get; } = deadlineAt;

    /// <summary>
    /// The request's answer. Its continuation (the rest of the request: the reply, written to the connection) runs on
    /// the thread that completes it. The batch loop completes a batch's answers with <see cref="Deliver"/> once the
    /// instance is free again, so they are written one after the other, not each a thread-pool hop later. Everything
    /// else (a cancelled or expired request, a refusal) completes through <see cref="CancelLater"/> and
    /// <see cref="FailLater"/>, off the thread that found it.
    /// </summary>
    public TaskCompletionSource<BatchResult> Completion { get; } = new();

    private BatchResult? _result;
    private Exception? _error;

    /// <summary>Keeps the batch's answer for <see cref="Deliver"/>.</summary>
    public void Hold(BatchResult result) => _result = result;

    /// <summary>Keeps the batch's error for <see cref="Deliver"/>.</summary>
    public void Hold(Exception error) => _error = error;

    /// <summary>
    /// Completes with what was held, on this thread: the caller's continuation runs here and now. An item the batch
    /// left without an answer fails (internal) rather than wait for ever.
    /// </summary>
    public void Deliver()
    {
        if (_error is not null)
        {
            Completion.TrySetException(_error);
        }
        else if (_result is { } result)
        {
            Completion.TrySetResult(result);
        }
        else
        {
            Completion.TrySetException(new InferenceException(InferenceErrorCode.Internal, "the batch ended without an answer for this request"));
        }
    }

    /// <summary>Cancels on a thread-pool thread (never inside the cancellation callback that found it).</summary>
    public void CancelLater() =>
        ThreadPool.UnsafeQueueUserWorkItem(static item => item.Completion.TrySetCanceled(), this, preferLocal: false);

    /// <summary>Fails on a thread-pool thread (never inside the timer or callback that found it).</summary>
    public void FailLater(Exception error) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Item.Completion.TrySetException(state.Error), (Item: this, Error: error), preferLocal: false);

    /// <summary>Set while queued; cleared (under the batcher's lock) when taken or removed.</summary>
    public LinkedListNode<BatchItem>? Node { get; set; }

    public CancellationTokenRegistration Cancellation { get; set; }

    public CancellationTokenRegistration Timeout { get; set; }

    public CancellationTokenSource? TimeoutSource { get; set; }

    /// <summary>True when both requests' non-batch dimensions match for every input, so they may share a batch.</summary>
    public bool CompatibleWith(BatchItem other)
    {
        for (var i = 0; i < Inputs.Length; i++)
        {
            // A slot the feature lookup fills has the fixed shape of its fields: always compatible.
            if (Inputs[i] is null || other.Inputs[i] is null)
            {
                continue;
            }

            if (!Inputs[i].Shape.AsSpan(1).SequenceEqual(other.Inputs[i].Shape.AsSpan(1)))
            {
                return false;
            }
        }

        return true;
    }
}
