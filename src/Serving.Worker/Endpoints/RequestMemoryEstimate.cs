namespace Serving.Worker.Endpoints;

/// <summary>
/// A worker request's share of its <see cref="Serving.Hosting.Http.RequestMemoryBudget"/>, estimated from its size:
/// reading and decoding a body takes several times its bytes. Measured: a 32 MB JSON body of FP32 numbers took the
/// worker from 120 MB to 566 MB resident (the parsed document's 12 bytes per token, the decoded tensor, the body: 14×),
/// 48 MB of empty BYTES strings to 836 MB (15×).
/// </summary>
internal static class RequestMemoryEstimate
{
    /// <summary>Memory per byte of JSON (a JSON body, or a binary-extension body's JSON header).</summary>
    public const int JsonFactor = 16;

    /// <summary>Memory per byte of binary tensor data or protobuf: the body or message, and the decoded copy.</summary>
    public const int BinaryFactor = 4;

    /// <summary>The setting, named in refusals.</summary>
    public const string Setting = "Serving:Worker:RequestMemoryBytes";

    /// <summary>What a caller whose request would not fit alone can do.</summary>
    public const string Advice = "send its tensors as binary data (the binary tensor extension, or gRPC raw_input_contents), split it, or give the worker more memory";

    /// <summary>The estimated memory of a body of <paramref name="bytes"/>, of which the first <paramref name="jsonBytes"/> are JSON.</summary>
    public static long Of(long bytes, long jsonBytes)
    {
        var json = Math.Min(bytes, jsonBytes);
        return (json * JsonFactor) + ((bytes - json) * BinaryFactor);
    }
}
