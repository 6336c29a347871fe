using Serving.Protocol.Tensors;

namespace Serving.Protocol.Messages;

/// <summary>The result of an infer call, before a protocol encodes it.</summary>
public sealed class InferenceResponse : IDisposable
{
    private readonly IDisposable? _owner;

    /// <summary>Creates a response; <paramref name="owner"/> holds the outputs' memory and is disposed with it.</summary>
    public InferenceResponse(string modelName, string modelVersion, string? id, List<InferTensor> outputs, IDisposable? owner = null)
    {
        ModelName = modelName;
        ModelVersion = modelVersion;
        Id = id;
        Outputs = outputs;
        _owner = owner;
    }

    /// <summary>The model that answered.</summary>
    public string ModelName { get; }

    /// <summary>The version that answered.</summary>
    public string ModelVersion { get; }

    /// <summary>The request id, echoed.</summary>
    public string? Id { get; }

    /// <summary>Response-level parameters (bool, long, ulong, double or string values).</summary>
    public Dictionary<string, object> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The outputs, in the order requested (or the model's order).</summary>
    public List<InferTensor> Outputs { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var output in Outputs)
        {
            output.Dispose();
        }

        _owner?.Dispose();
    }
}
