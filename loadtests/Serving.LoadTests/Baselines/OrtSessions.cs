using Microsoft.ML.OnnxRuntime;
using Serving.LoadTests.Payloads;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Baselines;

/// <summary>Creates ONNX Runtime sessions for the baselines and describes their tensors.</summary>
internal static class OrtSessions
{
    /// <summary>A CPU session; <paramref name="intraOpThreads"/> 0 is ORT's default (one per physical core, pinned).</summary>
    public static InferenceSession Create(string path, int intraOpThreads, bool allowSpinning)
    {
        using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads };
        if (!allowSpinning)
        {
            // Idle intra-op threads otherwise spin and take cores from the RPC path on a small machine.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        }

        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new LoadTestException($"ONNX Runtime cannot load '{path}': {e.Message}", e);
        }
    }

    /// <summary>The session's inputs or outputs as protocol tensor specs (-1 for symbolic dimensions).</summary>
    public static IReadOnlyList<TensorSpec> Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        nodes.Select(n => new TensorSpec(
            n.Key,
            OrtTypes.ToDataType(n.Value.ElementDataType).ToWire(),
            n.Value.Dimensions.Select(d => (long)d).ToArray())).ToList();
}
