using Serving.LoadTests.Baselines;
using Serving.LoadTests.Payloads;

namespace Serving.LoadTests.Bench;

/// <summary>The one request every server receives for a model: one row of seeded random data shaped by the ONNX graph.</summary>
internal static class BenchPayload
{
    /// <summary>The payload; no version is named, as most clients send it (each server serves one).</summary>
    public static InferPayload Create(BenchModel model)
    {
        using var session = OrtSessions.Create(model.OnnxPath, 1, allowSpinning: false);
        var random = new Random(20240601);
        var inputs = OrtSessions.Describe(session.InputMetadata).Select(spec => RandomTensorFactory.Create(spec, 1, random)).ToList();
        return new InferPayload(model.Name, string.Empty, inputs);
    }

    /// <summary>The second dimension of the first input, for the echo server's advertised shape.</summary>
    public static int Features(InferPayload payload) =>
        payload.Inputs is [{ Shape: [_, var features] }, ..] ? (int)features : 1;
}
