using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Tensors;
using Serving.Worker.Inference;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Endpoints;

/// <summary>Model metadata, the same for REST and gRPC.</summary>
internal static class ModelMetadataView
{
    public const string Platform = "onnxruntime_onnx";

    /// <summary>Metadata of a model (its ready versions) or of one version.</summary>
    public static ModelMetadataResponse Build(ModelResolver resolver, string name, string? version)
    {
        var entry = resolver.Entry(name);
        var response = new ModelMetadataResponse { Name = entry.Name, Platform = Platform };
        ModelSignature? signature;
        if (string.IsNullOrEmpty(version))
        {
            foreach (var (_, v) in entry.Versions)
            {
                if (v.State == ModelVersionState.Ready)
                {
                    response.Versions.Add(v.VersionText);
                }
            }

            signature = (entry.LatestReady() ?? entry.Versions.Values.LastOrDefault(v => v.Runner is not null))?.Runner?.Signature;
        }
        else
        {
            var v = resolver.Version(name, version);
            response.Versions.Add(v.VersionText);
            signature = v.Runner?.Signature;
        }

        if (signature is null)
        {
            // Why, as an infer of it would say: the version asked for (else the newest) is loading, failed, or there is none.
            throw ModelResolver.NotReady(resolver.Version(name, version));
        }

        foreach (var input in signature.Inputs)
        {
            response.Inputs.Add(Tensor(input));
        }

        foreach (var output in signature.Outputs)
        {
            response.Outputs.Add(Tensor(output));
        }

        return response;
    }

    /// <summary>True when the version (or, without one, any version) is ready.</summary>
    public static bool IsReady(ModelResolver resolver, string name, string? version)
    {
        if (resolver.IsUnloaded(name))
        {
            return false;
        }

        var entry = resolver.Entry(name);
        return string.IsNullOrEmpty(version)
            ? entry.LatestReady() is not null
            : resolver.Version(name, version).State == ModelVersionState.Ready;
    }

    private static ModelMetadataResponse.Types.TensorMetadata Tensor(TensorSignature t)
    {
        var m = new ModelMetadataResponse.Types.TensorMetadata { Name = t.Name, Datatype = t.DataType.ToWire() };
        m.Shape.AddRange(t.Shape);
        return m;
    }
}
