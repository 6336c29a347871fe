using System.Text.Json;

namespace Serving.Testing;

/// <summary>A <c>golden.json</c> written by the training script: an OIP request and the framework's outputs.</summary>
public sealed class GoldenFile
{
    private GoldenFile(string json, JsonElement root)
    {
        Json = json;
        var input = root.GetProperty("inputs")[0];
        var output = root.GetProperty("outputs")[0];
        InputName = input.GetProperty("name").GetString()!;
        InputShape = input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Input = input.GetProperty("data").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        OutputName = output.GetProperty("name").GetString()!;
        OutputShape = output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Expected = output.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    /// <summary>The file's text.</summary>
    public string Json { get; }

    /// <summary>The input's name.</summary>
    public string InputName { get; }

    /// <summary>The input's shape.</summary>
    public long[] InputShape { get; }

    /// <summary>The input values (exactly representable in float32).</summary>
    public float[] Input { get; }

    /// <summary>The output's name.</summary>
    public string OutputName { get; }

    /// <summary>The output's shape.</summary>
    public long[] OutputShape { get; }

    /// <summary>The framework's outputs.</summary>
    public double[] Expected { get; }

    /// <summary>Loads <c>models/&lt;model&gt;/&lt;version&gt;/golden.json</c>.</summary>
    public static GoldenFile Load(string model, string version)
    {
        var json = File.ReadAllText(Path.Combine(RepoPaths.Models, model, version, "golden.json"));
        using var doc = JsonDocument.Parse(json);
        return new GoldenFile(json, doc.RootElement.Clone());
    }

    /// <summary>A gRPC ModelInfer request for the golden input (FP32 contents), to <paramref name="model"/> and <paramref name="version"/> (none: empty).</summary>
    public Serving.Protocol.Inference.ModelInferRequest GrpcRequest(string model, string? version = null)
    {
        var request = new Serving.Protocol.Inference.ModelInferRequest { ModelName = model, ModelVersion = version ?? string.Empty };
        var input = new Serving.Protocol.Inference.ModelInferRequest.Types.InferInputTensor
        {
            Name = InputName,
            Datatype = "FP32",
            Contents = new Serving.Protocol.Inference.InferTensorContents(),
        };
        input.Shape.AddRange(InputShape);
        input.Contents.Fp32Contents.AddRange(Input);
        request.Inputs.Add(input);
        return request;
    }

    /// <summary>An OIP REST infer body for the golden input.</summary>
    public string RequestBody() =>
        JsonSerializer.Serialize(new { id = "golden", inputs = new[] { new { name = InputName, datatype = "FP32", shape = InputShape, data = Input } } });
}
