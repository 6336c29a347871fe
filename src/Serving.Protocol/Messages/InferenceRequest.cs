using Serving.Protocol.Tensors;

namespace Serving.Protocol.Messages;

/// <summary>A decoded infer call, the same whichever protocol and form carried it.</summary>
public sealed class InferenceRequest : IDisposable
{
    private readonly IDisposable? _owner;

    /// <summary>Creates a request; <paramref name="owner"/> (a pooled body, say) is disposed with it.</summary>
    public InferenceRequest(string modelName, string modelVersion, string? id, List<InferTensor> inputs, IDisposable? owner = null)
    {
        ModelName = modelName;
        ModelVersion = modelVersion;
        Id = id;
        Inputs = inputs;
        _owner = owner;
    }

    /// <summary>The model name from the path or message.</summary>
    public string ModelName { get; }

    /// <summary>The version asked for; empty when the server picks.</summary>
    public string ModelVersion { get; }

    /// <summary>The caller's request id, echoed in the response.</summary>
    public string? Id { get; }

    /// <summary>Request-level parameters (bool, long, ulong, double or string values).</summary>
    public Dictionary<string, object> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The input tensors in the order the caller sent them.</summary>
    public List<InferTensor> Inputs { get; }

    /// <summary>The outputs asked for; empty means all.</summary>
    public List<RequestedOutput> Outputs { get; } = [];

    /// <summary>gRPC: the request used <c>raw_input_contents</c>, so outputs go back raw.</summary>
    public bool RawOutput { get; set; }

    /// <summary>REST: <c>binary_data_output</c> was set on the request.</summary>
    public bool BinaryOutputByDefault { get; set; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var input in Inputs)
        {
            input.Dispose();
        }

        _owner?.Dispose();
    }
}
