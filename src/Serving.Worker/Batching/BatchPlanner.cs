namespace Serving.Worker.Batching;

/// <summary>
/// Triton's dynamic-batching decision, as a pure function of the queue: requests in arrival order;
/// a full batch (or one that can't grow) goes at once; else the largest preferred size that a
/// prefix forms exactly; else everything that fits once the oldest request has waited
/// max_queue_delay. A request's rows are never split and differently shaped requests never mix.
/// </summary>
internal static class BatchPlanner
{
    public static BatchPlan Plan(LinkedList<BatchItem> queue, BatchSettings settings, long now)
    {
        var head = queue.First!.Value;
        var rows = 0;
        var count = 0;
        var blocked = false;
        var preferredCount = 0;
        foreach (var item in queue)
        {
            if (count > 0 && !head.CompatibleWith(item))
            {
                blocked = true;
                break;
            }

            if (rows + item.Rows > settings.MaxBatchSize)
            {
                blocked = true;
                break;
            }

            rows += item.Rows;
            count++;
            if (Array.IndexOf(settings.PreferredBatchSizes, rows) >= 0)
            {
                // Rows only grow along the prefix, so the last match is the largest preferred size formed.
                preferredCount = count;
            }

            if (rows == settings.MaxBatchSize)
            {
                blocked = true;
                break;
            }
        }

        if (count == 0)
        {
            // The head alone is over max_batch_size: validation prevents this; send it alone rather than stall.
            return BatchPlan.Send(1);
        }

        if (blocked)
        {
            return BatchPlan.Send(count);
        }

        if (preferredCount > 0)
        {
            return BatchPlan.Send(preferredCount);
        }

        var sendAt = head.EnqueuedAt + settings.MaxQueueDelayTicks;
        return now >= sendAt ? BatchPlan.Send(count) : BatchPlan.Wait(sendAt);
    }
}
