using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;

namespace Serving.Worker.Features;

/// <summary>One entity-form request being filled: the lookup sets <see cref="Filled"/> or <see cref="Error"/>.</summary>
internal sealed class FeatureItem(FeatureRequest request)
{
    public FeatureRequest Request { get; } = request;

    /// <summary>The target input built from the store (owned: dispose after the run).</summary>
    public InferTensor? Filled { get; set; }

    public InferenceException? Error { get; set; }
}
