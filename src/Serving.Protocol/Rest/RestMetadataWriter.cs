using System.Text.Json;
using Serving.Protocol.Inference;

namespace Serving.Protocol.Rest;

/// <summary>The Open Inference Protocol's REST metadata bodies (server and model), shared by the worker and the gateway.</summary>
public static class RestMetadataWriter
{
    /// <summary><c>GET /v2</c>: <c>{"name", "version", "extensions": [...]}</c>.</summary>
    public static void WriteServer(Utf8JsonWriter w, string name, string version, IEnumerable<string> extensions)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("version", version);
        w.WriteStartArray("extensions");
        foreach (var e in extensions)
        {
            w.WriteStringValue(e);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary><c>GET /v2/models/{m}[/versions/{v}]</c>: name, versions, platform, inputs and outputs.</summary>
    public static void WriteModel(Utf8JsonWriter w, ModelMetadataResponse m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteStartArray("versions");
        foreach (var v in m.Versions)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
        w.WriteString("platform", m.Platform);
        WriteTensors(w, "inputs", m.Inputs);
        WriteTensors(w, "outputs", m.Outputs);
        w.WriteEndObject();
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, IEnumerable<ModelMetadataResponse.Types.TensorMetadata> tensors)
    {
        w.WriteStartArray(property);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("datatype", t.Datatype);
            w.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
