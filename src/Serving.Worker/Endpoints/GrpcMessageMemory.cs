using System.Buffers;
using Grpc.Core;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;

namespace Serving.Worker.Endpoints;

/// <summary>
/// A large ModelInfer message's share of the <see cref="RequestMemoryBudget"/>: taken from its frame header by
/// <see cref="GrpcFrameHeaderCheck"/> (its bytes × <see cref="RequestMemoryEstimate.BinaryFactor"/>), then raised, before
/// protobuf decodes it, to what <see cref="InferRequestMemory"/> says it takes decoded, or refused RESOURCE_EXHAUSTED.
/// The call's async flow carries it from the check to the decode (grpc-dotnet's deserializer sees no HttpContext).
/// Messages under <see cref="InferRequestMemory.WalkFrom"/> carry none: they can't take much whatever is in them.
/// </summary>
internal sealed class GrpcMessageMemory(RequestMemoryBudget budget, long share)
{
    private static readonly AsyncLocal<GrpcMessageMemory?> Call = new();

    /// <summary>The share the call holds now, given back when it ends.</summary>
    public long Share { get; private set; } = share;

    /// <summary>Carries <paramref name="memory"/> with the rest of the call (its async flow).</summary>
    public static void Begin(GrpcMessageMemory memory) => Call.Value = memory;

    /// <summary>
    /// Before a ModelInfer message is decoded: its share is raised to what it takes decoded, if more. A message of a
    /// stream (no share of its own) is refused only when that is more than the whole budget.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: it would not fit, alone or beside the requests in progress.</exception>
    public static void Cover(in ReadOnlySequence<byte> message, RequestMemoryBudget budget)
    {
        if (message.Length < InferRequestMemory.WalkFrom)
        {
            return;
        }

        var needed = Math.Max(RequestMemoryEstimate.Of(message.Length, jsonBytes: 0), message.Length + InferRequestMemory.Estimate(message));
        try
        {
            if (Call.Value is { } memory)
            {
                memory.Raise(needed);
            }
            else
            {
                budget.EnsureFitsAlone(needed);
            }
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{e.Message} (its tensors decode to far more than their bytes: many tiny elements, inputs or outputs; send BYTES tensors as raw_input_contents)"));
        }
    }

    private void Raise(long needed)
    {
        if (needed > Share)
        {
            budget.Take(needed - Share, needed);
            Share = needed;
        }
    }
}
