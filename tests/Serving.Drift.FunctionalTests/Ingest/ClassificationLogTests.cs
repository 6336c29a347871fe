using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.Inference;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>A caller that asks for top classes gets strings; the prediction log keeps the model's own numbers.</summary>
public sealed class ClassificationLogTests
{
    [Fact]
    public async Task ClassificationRequest_CallerGetsClasses_ArchiveGetsTheRawOutputs()
    {
        await using var system = await IdentityLoggingWorker.StartAsync();
        var request = IdentityLoggingWorker.Request("classes", 0.25f, 0.75f, 0.5f);
        var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "OUTPUT0" };
        output.Parameters["classification"] = new InferParameter { Int64Param = 2 };
        request.Outputs.Add(output);

        var response = await system.Worker.Grpc.ModelInferAsync(request);

        Assert.Equal("BYTES", response.Outputs[0].Datatype);
        await Eventually.TrueAsync(() => system.Stats.Acked == 1, "the record acknowledged");
        var line = Assert.Single(system.Drift.ArchivedLines(), l => l.Contains("\"request_id\":\"classes\"", StringComparison.Ordinal));
        using var record = JsonDocument.Parse(line);
        Assert.Equal([0.25, 0.75, 0.5], record.RootElement.GetProperty("outputs").GetProperty("OUTPUT0").EnumerateArray().Select(e => e.GetDouble()));
    }
}
