using Serving.Protocol.Messages;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>What a baseline does behind the shared OIP endpoints.</summary>
internal interface IBaselineBackend
{
    /// <summary>The model's description, or null when the name or version is unknown.</summary>
    ModelDescription? Describe(string model, string version);

    /// <summary>Runs one request; throws <see cref="Protocol.Errors.InferenceException"/> for the caller's mistakes.</summary>
    InferenceResponse Infer(InferenceRequest request);
}
