using Microsoft.Extensions.Options;
using Serving.Protocol.Errors;
using Serving.Worker.Configuration;

namespace Serving.Worker.Endpoints;

/// <summary>
/// The memory that infer requests being read and decoded may take at once, estimated from their sizes: a request takes
/// its share before its body is read (as it is read, when its length isn't known) and gives it back when it is answered.
/// A request that would take more than the whole budget is refused (413 / RESOURCE_EXHAUSTED: it would not fit alone);
/// one that doesn't fit beside the requests already in is refused as a full queue is (429 with Retry-After /
/// RESOURCE_EXHAUSTED). Without it a 512 MiB worker pod was killed by one request under the 64 MiB body limit: a 32 MB
/// JSON body of FP32 numbers took the worker from 120 MB to 566 MB resident (the parsed document's 12 bytes per token,
/// the decoded tensor, the body), 48 MB of empty BYTES strings to 836 MB, and requests at once added up.
/// </summary>
internal sealed class RequestMemoryBudget
{
    /// <summary>Memory per byte of JSON (a JSON body, or a binary-extension body's JSON header): measured 14-15×, above.</summary>
    public const int JsonFactor = 16;

    /// <summary>Memory per byte of binary tensor data or protobuf: the body or message, and the decoded copy.</summary>
    public const int BinaryFactor = 4;

    private long _taken;

    public RequestMemoryBudget(IOptions<WorkerOptions> options)
    {
        Limit = options.Value.RequestMemoryBytes > 0 ? options.Value.RequestMemoryBytes : Default();
    }

    /// <summary>The budget in bytes.</summary>
    public long Limit { get; }

    /// <summary>The bytes taken now.</summary>
    public long Taken => Interlocked.Read(ref _taken);

    /// <summary>The default: half the memory the GC may use (a container's memory limit, when there is one).</summary>
    public static long Default() => Math.Max(64L * 1024 * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>The estimated memory of a body of <paramref name="bytes"/>, of which the first <paramref name="jsonBytes"/> are JSON.</summary>
    public static long Estimate(long bytes, long jsonBytes)
    {
        var json = Math.Min(bytes, jsonBytes);
        return (json * JsonFactor) + ((bytes - json) * BinaryFactor);
    }

    /// <summary>
    /// Takes <paramref name="bytes"/> more for a request whose share then is <paramref name="share"/>, or throws the
    /// refusal (nothing taken).
    /// </summary>
    public void Take(long bytes, long share)
    {
        if (share > Limit)
        {
            throw InferenceException.TooLarge(
                $"the request would take about {Megabytes(share)} MB of memory to read and decode, over the {Megabytes(Limit)} MB the worker allows for all requests at once (Serving:Worker:RequestMemoryBytes): send its tensors as binary data (the binary tensor extension, or gRPC raw_input_contents), split it, or give the worker more memory");
        }

        var taken = Interlocked.Add(ref _taken, bytes);
        if (taken > Limit)
        {
            Interlocked.Add(ref _taken, -bytes);
            throw new InferenceException(
                InferenceErrorCode.ResourceExhausted,
                $"the worker is reading and decoding as much as its memory allows ({Megabytes(Limit)} MB, Serving:Worker:RequestMemoryBytes); retry later");
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
