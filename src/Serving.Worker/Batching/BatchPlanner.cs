namespace Serving.Worker.Batching;

/// <summary>
/// Triton's dynamic-batching decision, as a pure function of the queue: requests in arrival order;
/// a full batch goes at once; while the oldest request is within max_queue_delay (and always with a
/// delay of 0), the largest preferred size that a prefix forms exactly goes at once; a batch that
/// can't grow goes as it is, and anything else waits; after the delay everything that fits goes. A request's rows are never
/// split and differently shaped requests never mix. With an arrival gap, the delay also ends once no
/// request has arrived for the gap (since <c>lastArrivalAt</c>), and a batch told not to wait
/// (<c>noWait</c>) goes as a zero delay would send it.
/// </summary>
internal static class BatchPlanner
{
    public static BatchPlan Plan(LinkedList<BatchItem> queue, BatchSettings settings, long now, long lastArrivalAt = long.MinValue, bool noWait = false)
    {
        var head = queue.First!.Value;
        var rows = 0;
        var count = 0;
        var blocked = false;
        var full = false;
        var preferredCount = 0;
        foreach (var item in queue)
        {
            if ((count > 0 && !head.CompatibleWith(item)) || rows + item.Rows > settings.MaxBatchSize)
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
                full = true;
                break;
            }
        }

        if (count == 0)
        {
            // The head alone is over max_batch_size: validation prevents this; send it alone rather than stall.
            return BatchPlan.Send(1);
        }

        if (full)
        {
            return BatchPlan.Send(count);
        }

        // As Triton: the largest preferred size formed goes unless the oldest request has waited out a delay, even when
        // the batch can't grow, and with no delay to wait (0, or none now): the rest goes in the next batch. Once the
        // delay has passed, everything that fits goes.
        var delayOver = settings.MaxQueueDelayTicks > 0 && now >= head.EnqueuedAt + settings.MaxQueueDelayTicks;
        if (preferredCount > 0 && !delayOver)
        {
            return BatchPlan.Send(preferredCount);
        }

        var sendAt = noWait ? now : head.EnqueuedAt + settings.MaxQueueDelayTicks;
        if (settings.ArrivalGapTicks > 0 && lastArrivalAt != long.MinValue)
        {
            sendAt = Math.Min(sendAt, lastArrivalAt + settings.ArrivalGapTicks);
        }

        var delayed = now >= sendAt;

        return blocked || delayed ? BatchPlan.Send(count) : BatchPlan.Wait(sendAt);
    }
}
