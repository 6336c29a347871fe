using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Payloads;
using Serving.Protocol.Messages;

namespace Serving.LoadTests.Baselines.Echo;

/// <summary>Answers every model name with its inputs as outputs: the work of a server minus the model.</summary>
internal sealed class EchoBackend(int features) : IBaselineBackend
{
    private readonly TensorSpec[] _tensors = [new TensorSpec("input", "FP32", [-1, features])];

    /// <inheritdoc />
    public ModelDescription? Describe(string model, string version) =>
        new(model, version.Length == 0 ? "1" : version, "echo", _tensors, _tensors);

    /// <inheritdoc />
    public InferenceResponse Infer(InferenceRequest request) =>
        // The outputs are the request's own tensors; disposing them twice is harmless.
        new(request.ModelName, request.ModelVersion.Length == 0 ? "1" : request.ModelVersion, request.Id, [.. request.Inputs]);
}
