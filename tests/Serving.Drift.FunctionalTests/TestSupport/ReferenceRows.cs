using System.Runtime.InteropServices;
using System.Text.Json;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>
/// The training rows behind a reference profile: tabular v1's profile keeps every row (426 &lt; 2000)
/// with each feature's <c>sample</c> in row order, so the i-th value of every sample is row i. Drawing
/// whole rows (seeded) gives traffic with the reference's features and predictions.
/// </summary>
internal sealed class ReferenceRows
{
    private readonly float[][] _rows;
    private readonly double[] _predictions;

    private ReferenceRows(string[] names, double[] std, float[][] rows, double[] predictions)
    {
        FeatureNames = names;
        Std = std;
        _rows = rows;
        _predictions = predictions;
    }

    public string[] FeatureNames { get; }

    /// <summary>Reference population standard deviation per feature.</summary>
    public double[] Std { get; }

    public int Count => _rows.Length;

    public static ReferenceRows Load(string model, string version)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Models, model, version, "reference.json")));
        var features = document.RootElement.GetProperty("features").EnumerateArray().ToArray();
        var samples = features.Select(f => f.GetProperty("sample").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        var rowCount = document.RootElement.GetProperty("rows").GetInt32();
        if (samples.Any(s => s.Length != rowCount))
        {
            throw new InvalidOperationException("The profile's samples are subsampled; rows can't be rebuilt from them.");
        }

        var rows = Enumerable.Range(0, rowCount).Select(r => samples.Select(s => s[r]).ToArray()).ToArray();
        var predictions = document.RootElement.GetProperty("prediction").GetProperty("sample").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new ReferenceRows(
            [.. features.Select(f => f.GetProperty("name").GetString()!)],
            [.. features.Select(f => f.GetProperty("std").GetDouble())],
            rows,
            predictions);
    }

    public int IndexOf(string feature) => Array.IndexOf(FeatureNames, feature);

    /// <summary><paramref name="count"/> rows drawn with replacement; <paramref name="shift"/> is added to one feature.</summary>
    public float[][] Draw(Random random, int count, (int Feature, double By)? shift = null)
    {
        var drawn = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var row = (float[])_rows[random.Next(_rows.Length)].Clone();
            if (shift is { } s)
            {
                row[s.Feature] = (float)(row[s.Feature] + s.By);
            }

            drawn[i] = row;
        }

        return drawn;
    }

    /// <summary>Whole reference records (features and the model's prediction on them), drawn with replacement.</summary>
    public (float[] Features, double Prediction)[] DrawRecords(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => random.Next(_rows.Length)).Select(r => (_rows[r], _predictions[r]))];

    /// <summary>An OIP gRPC request carrying <paramref name="rows"/> as one FP32 [n, features] input.</summary>
    public static ModelInferRequest Request(string model, string version, string input, IReadOnlyList<float[]> rows, string? id = null)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = id ?? string.Empty };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = "FP32" };
        tensor.Shape.AddRange([rows.Count, rows[0].Length]);
        request.Inputs.Add(tensor);
        var flat = rows.SelectMany(r => r).ToArray();
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(flat.AsSpan())));
        return request;
    }
}
