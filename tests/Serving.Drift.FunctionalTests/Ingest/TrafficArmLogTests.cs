using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>The traffic arm a gateway names in <c>x-serving-arm</c> goes with the prediction record, over REST and gRPC.</summary>
public sealed class TrafficArmLogTests
{
    private const string ArmHeader = "x-serving-arm";

    [Fact]
    public async Task ArmHeader_RestAndGrpc_ArchivedWithTheRecord_AbsentWhenNotSent()
    {
        await using var system = await IdentityLoggingWorker.StartAsync();

        await InferRestAsync(system.Worker, "rest-canary", arm: "canary");
        await InferRestAsync(system.Worker, "rest-direct", arm: null);
        await system.Worker.Grpc.ModelInferAsync(IdentityLoggingWorker.Request("grpc-stable", 1, 2, 3), new Metadata { { ArmHeader, "stable" } });

        await Eventually.TrueAsync(() => system.Stats.Acked == 3, "the three records acknowledged");
        var arms = system.Drift.ArchivedLines()
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(
                r => r.GetProperty("request_id").GetString()!,
                r => r.TryGetProperty("arm", out var arm) ? arm.GetString() : null);
        Assert.Equal(
            new Dictionary<string, string?> { ["rest-canary"] = "canary", ["rest-direct"] = null, ["grpc-stable"] = "stable" },
            arms);
    }

    private static async Task InferRestAsync(WorkerServer worker, string id, string? arm)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{IdentityLoggingWorker.Model}/infer")
        {
            Content = JsonContent.Create(new { id, inputs = new[] { new { name = "INPUT0", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 1f, 2f, 3f } } } }),
        };
        if (arm is not null)
        {
            message.Headers.Add(ArmHeader, arm);
        }

        using var response = await worker.Http.SendAsync(message);
        response.EnsureSuccessStatusCode();
    }
}
