using Serving.Protocol.Tensors;

namespace Serving.Worker.Batching;

/// <summary>A request waiting in a batcher's queue.</summary>
internal sealed class BatchItem(InferTensor[] inputs, string[] outputNames, long enqueuedAt, long deadlineAt)
{
    /// <summary>Inputs in signature order; dim 0 is the batch.</summary>
    public InferTensor[] Inputs { get; } = inputs;

    public string[] OutputNames { get; } = outputNames;

    public int Rows { get; } = checked((int)inputs[0].Shape[0]);

    public long EnqueuedAt { get; } = enqueuedAt;

    /// <summary><see cref="long.MaxValue"/> when there is no deadline.</summary>
    public long DeadlineAt { get; } = deadlineAt;

    public TaskCompletionSource<BatchResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
            if (!Inputs[i].Shape.AsSpan(1).SequenceEqual(other.Inputs[i].Shape.AsSpan(1)))
            {
                return false;
            }
        }

        return true;
    }
}
