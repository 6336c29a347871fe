using System.Text.Json;
using Serving.LoadTests.Payloads;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>What a baseline says about its model, in REST and gRPC form.</summary>
internal sealed record ModelDescription(string Name, string Version, string Platform, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    /// <summary>The gRPC <c>ModelMetadata</c> answer.</summary>
    public ModelMetadataResponse ToGrpc()
    {
        var response = new ModelMetadataResponse { Name = Name, Platform = Platform };
        response.Versions.Add(Version);
        response.Inputs.AddRange(Inputs.Select(ToGrpc));
        response.Outputs.AddRange(Outputs.Select(ToGrpc));
        return response;
    }

    /// <summary>The REST <c>GET /v2/models/{m}</c> body.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("name", Name);
        writer.WriteStartArray("versions");
        writer.WriteStringValue(Version);
        writer.WriteEndArray();
        writer.WriteString("platform", Platform);
        WriteTensors(writer, "inputs", Inputs);
        WriteTensors(writer, "outputs", Outputs);
        writer.WriteEndObject();
    }

    private static ModelMetadataResponse.Types.TensorMetadata ToGrpc(TensorSpec spec)
    {
        var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = spec.DataType };
        tensor.Shape.AddRange(spec.Shape);
        return tensor;
    }

    private static void WriteTensors(Utf8JsonWriter writer, string property, IReadOnlyList<TensorSpec> tensors)
    {
        writer.WriteStartArray(property);
        foreach (var t in tensors)
        {
            writer.WriteStartObject();
            writer.WriteString("name", t.Name);
            writer.WriteString("datatype", t.DataType);
            writer.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                writer.WriteNumberValue(d);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
