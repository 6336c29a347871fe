using Serving.Protocol.Errors;

namespace Serving.Hosting.Http;

/// <summary>
/// The memory that requests held whole in memory (read, decoded, forwarded) may take at once: a request takes its share
/// before its body is read (as it is read, when its length isn't known) and gives it back when it is answered. A request
/// whose share is over the whole budget is refused (413 / RESOURCE_EXHAUSTED: it would not fit alone); one that doesn't
/// fit beside the requests already in is refused as a full queue is (429 with Retry-After / RESOURCE_EXHAUSTED). Without
/// it a handful of requests under the body limit at once took a process past its container's memory: a worker's 32 MB
/// JSON body took it from 120 MB to 566 MB resident, twelve 60 MB gRPC messages at once a gateway from 87 MB to 1.15 GB.
/// </summary>
/// <param name="limit">The budget in bytes; 0 for <see cref="DefaultLimit"/>.</param>
/// <param name="setting">The setting that sets it, named in refusals.</param>
/// <param name="advice">What a caller whose request would not fit alone can do, ending the refusal.</param>
public sealed class RequestMemoryBudget(long limit, string setting, string advice)
{
    private long _taken;

    /// <summary>The budget in bytes.</summary>
    public long Limit { get; } = limit > 0 ? limit : DefaultLimit();

    /// <summary>The bytes taken now.</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>The default: half the memory the GC may use (a container's memory limit, when there is one), at least 64 MiB.</summary>
    public static long DefaultLimit() => Math.Max(64L * 1024 * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>
    /// Takes <paramref name="bytes"/> more for a request whose share then is <paramref name="share"/>, or throws the
    /// refusal (nothing taken).
    /// </summary>
    public void Take(long bytes, long share)
    {
        EnsureFitsAlone(share);
        var taken = Interlocked.Add(ref _taken, bytes);
        if (taken > Limit)
        {
            Interlocked.Add(ref _taken, -bytes);
            throw new InferenceException(
                InferenceErrorCode.ResourceExhausted,
                $"requests in progress take as much memory as allowed ({Megabytes(Limit)} MB, {setting}); retry later");
        }
    }

    /// <summary>Throws the "would not fit alone" refusal (413 / RESOURCE_EXHAUSTED) when <paramref name="share"/> is over the whole budget.</summary>
    public void EnsureFitsAlone(long share)
    {
        if (share > Limit)
        {
            throw InferenceException.TooLarge(
                $"the request would take about {Megabytes(share)} MB of memory, over the {Megabytes(Limit)} MB allowed for all requests at once ({setting}): {advice}");
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> taken before.</summary>
    public void Give(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _taken, -bytes);
        }
    }

    private static long Megabytes(long bytes) => (bytes + (1024 * 1024) - 1) / (1024 * 1024);
}
