using System.Globalization;
using System.Text.Json;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Features;

/// <summary>The tabular model's features.csv, and which customer ids hold the golden rows.</summary>
internal static class FeatureTestData
{
    public static string CsvPath => Path.Combine(RepoPaths.Models, "tabular", "features.csv");

    /// <summary>The customer id of each golden input row (found by exact float32 values).</summary>
    public static long[] GoldenCustomerIds(GoldenFile golden)
    {
        var rows = File.ReadLines(CsvPath).Skip(1).Select(l => l.Split(',')).ToArray();
        var ids = new long[golden.Input.Length / 30];
        for (var r = 0; r < ids.Length; r++)
        {
            var wanted = golden.Input.AsSpan(r * 30, 30).ToArray();
            var match = rows.First(cells => cells.Skip(1).Select(c => (float)double.Parse(c, CultureInfo.InvariantCulture)).SequenceEqual(wanted));
            ids[r] = long.Parse(match[0], CultureInfo.InvariantCulture);
        }

        return ids;
    }

    /// <summary>A worker whose tabular model.yaml gets <paramref name="featureOverrides"/> (replacing keys in its features section).</summary>
    public static Task<(WorkerServer Server, TempDirectory Repo)> StartWorkerAsync(string? redis, string batching = "", params (string Key, string Value)[] featureOverrides) =>
        StartWorkerAsync(redis, batching, new Dictionary<string, string?>(), featureOverrides);

    /// <summary>As above, with <paramref name="settings"/> over the fixture's worker settings.</summary>
    public static async Task<(WorkerServer Server, TempDirectory Repo)> StartWorkerAsync(
        string? redis, string batching, IReadOnlyDictionary<string, string?> settings, params (string Key, string Value)[] featureOverrides)
    {
        var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var yamlPath = Path.Combine(repo.Path, "tabular", "model.yaml");
        var yaml = await File.ReadAllTextAsync(yamlPath);
        foreach (var (key, value) in featureOverrides)
        {
            yaml = System.Text.RegularExpressions.Regex.Replace(yaml, $@"(?m)^  {key}: .*$", $"  {key}: {value}");
        }

        if (batching.Length > 0)
        {
            yaml = ModelYaml.WithSection(yaml, "dynamic_batching", batching);
        }

        await File.WriteAllTextAsync(yamlPath, yaml);
        var all = new Dictionary<string, string?>
        {
            ["Serving:Features:Redis"] = redis,
            ["Serving:Features:BreakerOpenFor"] = "00:00:00.200",
            ["Serving:Features:Timeout"] = "00:00:00.500",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return (await WorkerServer.StartAsync(repo.Path, all), repo);
    }

    /// <summary>The golden rows sent by customer id over REST and gRPC: the outputs equal the golden (inline) outputs, and no row was defaulted.</summary>
    public static async Task AssertEntityFormMatchesGoldenAsync(WorkerServer server, string version)
    {
        var golden = GoldenFile.Load("tabular", version);
        var ids = GoldenCustomerIds(golden);

        using var response = await server.Http.PostAsync($"/v2/models/tabular/versions/{version}/infer", new StringContent(EntityBody(ids)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.False(root.TryGetProperty("parameters", out _), "no row should have been defaulted: " + text);
        AssertClose(golden.Expected, root.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());

        var grpc = await server.Grpc.ModelInferAsync(GrpcEntityRequest(version, ids));
        AssertClose(golden.Expected, grpc.Outputs[0].Contents.Fp32Contents.Select(f => (double)f).ToArray());
    }

    /// <summary>A gRPC entity-form request: INT64 customer ids, shape [N].</summary>
    public static ModelInferRequest GrpcEntityRequest(string version, long[] ids)
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = version };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "customer_id", Datatype = "INT64", Contents = new InferTensorContents() };
        input.Shape.Add(ids.Length);
        input.Contents.Int64Contents.AddRange(ids);
        request.Inputs.Add(input);
        return request;
    }

    public static string EntityBody(IEnumerable<long> ids, string version = "") =>
        $$"""{"id":"entities{{version}}","inputs":[{"name":"customer_id","datatype":"INT64","shape":[{{ids.Count()}}],"data":[{{string.Join(",", ids)}}]}]}""";

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
