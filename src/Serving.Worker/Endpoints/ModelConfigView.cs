using System.Text.Json;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Inference;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Triton's model configuration extension (<c>GET /v2/models/{m}[/versions/{v}]/config</c>): the version's config in
/// Triton's <c>ModelConfig</c> JSON (snake_case, <c>TYPE_*</c> datatypes, dims without the batch dimension), as
/// Triton's clients and <c>perf_analyzer</c> read it to learn the batch size, inputs and outputs.
/// </summary>
internal static class ModelConfigView
{
    public static void Write(Utf8JsonWriter w, ModelResolver resolver, string name, string? version)
    {
        var entry = resolver.Entry(name);
        var v = resolver.Version(name, version);
        var signature = v.Runner?.Signature
            ?? throw InferenceException.Unavailable($"model '{entry.Name}' version {v.VersionText} is not loaded ({v.ReasonAfterName ?? v.State.ToString().ToLowerInvariant()})");
        var config = entry.Config;
        var batched = signature.MaxBatchSize > 0;

        w.WriteStartObject();
        w.WriteString("name", entry.Name);
        w.WriteString("platform", ModelMetadataView.Platform);
        w.WriteString("backend", "onnxruntime");
        WriteVersionPolicy(w, config?.VersionPolicy);
        w.WriteNumber("max_batch_size", signature.MaxBatchSize);
        WriteTensors(w, "input", signature.Inputs, batched);
        WriteTensors(w, "output", signature.Outputs, batched, config?.Outputs);
        if (v.Batcher?.Settings is { } b)
        {
            w.WriteStartObject("dynamic_batching");
            w.WriteStartArray("preferred_batch_size");
            foreach (var size in b.PreferredBatchSizes)
            {
                w.WriteNumberValue(size);
            }

            w.WriteEndArray();
            w.WriteNumber("max_queue_delay_microseconds", b.MaxQueueDelayTicks * 1_000_000 / System.Diagnostics.Stopwatch.Frequency);
            w.WriteStartObject("default_queue_policy");
            w.WriteNumber("max_queue_size", b.MaxQueueSize);
            w.WriteNumber("default_timeout_microseconds", b.DefaultTimeoutTicks * 1_000_000 / System.Diagnostics.Stopwatch.Frequency);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteStartArray("instance_group");
        w.WriteStartObject();
        w.WriteString("name", entry.Name);
        w.WriteString("kind", v.Runner.Provider == "cuda" ? "KIND_GPU" : "KIND_CPU");
        w.WriteNumber("count", v.Batcher?.Settings.Instances ?? 1);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("default_model_filename", "model.onnx");
        w.WriteEndObject();
    }

    /// <summary>Triton's name for a datatype: <c>TYPE_FP32</c>…, and <c>TYPE_STRING</c> for BYTES.</summary>
    public static string TritonType(DataType type) => type == DataType.Bytes ? "TYPE_STRING" : "TYPE_" + type.ToWire();

    private static void WriteTensors(Utf8JsonWriter w, string field, TensorSignature[] tensors, bool batched, List<TensorConfig>? configs = null)
    {
        w.WriteStartArray(field);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("data_type", TritonType(t.DataType));
            w.WriteStartArray("dims");
            foreach (var d in batched ? t.Shape.AsSpan(1) : t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            if (configs?.Find(c => c.Name == t.Name)?.LabelsFile is { } labels)
            {
                w.WriteString("label_filename", labels);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteVersionPolicy(Utf8JsonWriter w, VersionPolicyConfig? policy)
    {
        w.WriteStartObject("version_policy");
        if (policy?.All is not null)
        {
            w.WriteStartObject("all");
            w.WriteEndObject();
        }
        else if (policy?.Specific is { } specific)
        {
            w.WriteStartObject("specific");
            w.WriteStartArray("versions");
            foreach (var version in specific.Versions ?? [])
            {
                w.WriteNumberValue(version);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject("latest");
            w.WriteNumber("num_versions", policy?.Latest?.NumVersions ?? 1);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }
}
