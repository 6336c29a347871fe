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
