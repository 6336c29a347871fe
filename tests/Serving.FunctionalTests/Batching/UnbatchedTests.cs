using System.Runtime.InteropServices;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Batching;

/// <summary>A version without a batch dimension, or with batching turned off, gets no batcher and still answers.</summary>
public sealed class UnbatchedTests
{
    [Theory]
    [InlineData("fixed", "  max_queue_delay_us: 2000\n", true)] // max_batch_size 0: a dynamic_batching section is ignored
    [InlineData("identity_fp32", "  enabled: false\n  max_queue_delay_us: 2000\n", true)]
    [InlineData("identity_fp32", "  max_queue_delay_us: 2000\n", false)] // Serving:Worker:EnableBatching false
    public async Task NoBatchDimensionOrBatchingOff_NoBatcher_ConcurrentRequestsAnswered(string model, string batchingYaml, bool workerBatching)
    {
        var (server, repo) = await BatchingServer.StartAsync(
            batchingYaml, new Dictionary<string, string?> { ["Serving:Worker:EnableBatching"] = workerBatching ? "true" : "false" }, model);
        using var _ = repo;
        await using var __ = server;

        Assert.Null(server.Service<ModelRepository>().Table.Models[model].Versions[1].Batcher);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var values = Enumerable.Range(0, 4).Select(v => (float)(i * 10 + v)).ToArray();
            var request = new ModelInferRequest { ModelName = model };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = model == "fixed" ? "x" : "INPUT0", Datatype = "FP32" };
            input.Shape.AddRange(model == "fixed" ? [4] : [2, 2]);
            request.Inputs.Add(input);
            request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())));
            var response = await server.Grpc.ModelInferAsync(request);
            return (values, Output: MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray());
        }));

        foreach (var (values, output) in responses)
        {
            Assert.Equal(values.Select(v => model == "fixed" ? 2 * v : v), output);
        }
    }
}
