using System.Text.Json;
using Google.Protobuf;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>A caller that asks for top classes gets strings; the prediction log keeps the model's own numbers.</summary>
public sealed class ClassificationLogTests
{
    [Fact]
    public async Task ClassificationRequest_CallerGetsClasses_ArchiveGetsTheRawOutputs()
    {
        await using var drift = await DriftServer.StartAsync();
        using var repository = RepoPaths.CopyModels(RepoPaths.TestModels, "identity_fp32");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.100",
        });
        var stats = worker.Service<PredictionLogStats>();
        var request = new ModelInferRequest { ModelName = "identity_fp32", Id = "classes" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "FP32", Shape = { 1, 3 } });
        request.RawInputContents.Add(ByteString.CopyFrom([.. BitConverter.GetBytes(0.25f), .. BitConverter.GetBytes(0.75f), .. BitConverter.GetBytes(0.5f)]));
        var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "OUTPUT0" };
        output.Parameters["classification"] = new InferParameter { Int64Param = 2 };
        request.Outputs.Add(output);

        var response = await worker.Grpc.ModelInferAsync(request);

        Assert.Equal("BYTES", response.Outputs[0].Datatype);
        await Eventually.TrueAsync(() => stats.Acked == 1, "the record acknowledged");
        var line = Assert.Single(drift.ArchivedLines(), l => l.Contains("\"request_id\":\"classes\"", StringComparison.Ordinal));
        using var record = JsonDocument.Parse(line);
        Assert.Equal([0.25, 0.75, 0.5], record.RootElement.GetProperty("outputs").GetProperty("OUTPUT0").EnumerateArray().Select(e => e.GetDouble()));
    }
}
