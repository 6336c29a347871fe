using System.Runtime.InteropServices;
using Google.Protobuf;
using Serving.FunctionalTests.Inference;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Batching;

/// <summary>A batched request's outputs equal the same request run alone, under concurrency with random sizes.</summary>
public sealed class BatchedEqualsAloneTests
{
    private const string Batching = "  max_queue_delay_us: 2000\n  max_queue_size: 4096\n";

    // A longer delay for the tests that check batching happened: requests started together surely meet in the queue.
    private const string Meeting = "  max_queue_delay_us: 50000\n  max_queue_size: 4096\n";

    [Theory]
    [InlineData("tabular", 2L, 30)]
    [InlineData("tabular", 1L, 30)]
    [InlineData("digits", 1L, 64)]
    public async Task ConcurrentRandomSizes_BatchedOutputsEqualAloneOutputs(string model, long version, int features)
    {
        var (server, repo) = await BatchingServer.StartAsync(Batching, model);
        using var _ = repo;
        await using var __ = server;
        var golden = GoldenFile.Load(model, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var random = new Random(42);
        var requests = Enumerable.Range(0, 160).Select(_ => RandomRows(golden, random, features)).ToArray();

        // Alone: one request at a time, so each runs as a batch of one.
        var alone = new float[requests.Length][];
        for (var i = 0; i < requests.Length; i++)
        {
            alone[i] = await InferAsync(server, model, version, requests[i], features);
        }

        var batcher = BatchingServer.Batcher(server, model, version);
        var executionsBefore = batcher.Executions;
        var together = await Task.WhenAll(requests.Select(r => Task.Run(() => InferAsync(server, model, version, r, features))));
        AssertBatched(batcher, requests.Length, executionsBefore);
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Length, together[i].Length);
            for (var j = 0; j < alone[i].Length; j++)
            {
                // Batched GEMMs may round differently from one-row GEMV kernels in the last place only.
                Assert.True(Math.Abs(alone[i][j] - together[i][j]) <= 1e-6f, $"request {i} element {j}: alone {alone[i][j]}, batched {together[i][j]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task IdentityModels_ConcurrentRandomSizes_EveryDatatypeExact(string wire)
    {
        var c = DatatypeCase.Get(wire);
        var (server, repo) = await BatchingServer.StartAsync(Meeting, c.Model);
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, c.Model);
        var random = new Random(7); // drawn here, on one thread: Random is not thread-safe
        var sizes = Enumerable.Range(0, 64).Select(_ => random.Next(1, 5)).ToArray();
        var rowSize = c.Raw().Length / 2; // the case is [2, 3]: one row is half of it for fixed-size types

        var tasks = Enumerable.Range(0, sizes.Length).Select(i => Task.Run(async () =>
        {
            var rows = sizes[i];
            var request = new ModelInferRequest { ModelName = c.Model, Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = c.Wire };
            var typed = c.Typed();
            if (typed is null)
            {
                // FP16: raw, rows copies of the case's first row.
                input.Shape.AddRange([rows, 3]);
                request.RawInputContents.Add(ByteString.CopyFrom(Enumerable.Repeat(c.Raw()[..rowSize], rows).SelectMany(b => b).ToArray()));
            }
            else
            {
                // Every other type: typed contents, the case's six values repeated per pair of rows.
                input.Shape.AddRange([rows * 2, 3]);
                input.Contents = new InferTensorContents();
                for (var r = 0; r < rows; r++)
                {
                    input.Contents.MergeFrom(typed);
                }
            }

            request.Inputs.Add(input);
            var response = await server.Grpc.ModelInferAsync(request);
            return (request, response);
        })).ToArray();

        var results = await Task.WhenAll(tasks);
        AssertBatched(batcher, results.Length);
        foreach (var (request, response) in results)
        {
            Assert.Equal(request.Id, response.Id);
            Assert.Equal(request.Inputs[0].Shape, response.Outputs[0].Shape);
            if (request.RawInputContents.Count > 0)
            {
                Assert.Equal(request.RawInputContents[0], response.RawOutputContents[0]);
            }
            else
            {
                Assert.Equal(request.Inputs[0].Contents, response.Outputs[0].Contents);
            }
        }
    }

    public static TheoryData<string> Datatypes => DatatypeCase.Names();

    [Fact]
    public async Task DifferentNonBatchDims_NeverMixed_EachAnswerIsItsOwnInput()
    {
        var (server, repo) = await BatchingServer.StartAsync(Meeting, "identity_fp32");
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "identity_fp32");

        var tasks = Enumerable.Range(0, 90).Select(i => Task.Run(async () =>
        {
            // Three shapes interleaved in arrival order, in runs of three: a batch stops at the first request of another
            // shape, so strictly alternating shapes could never batch, while a run of three (6 rows) could grow across the
            // change of shape into the next request (2 more rows, max_batch_size 8) if shapes were mixed.
            var width = 1 + (i / 3 % 3);
            var values = Enumerable.Range(0, 2 * width).Select(v => (float)(i * 100 + v)).ToArray();
            var request = new ModelInferRequest { ModelName = "identity_fp32" };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "FP32" };
            input.Shape.AddRange([2, width]);
            request.Inputs.Add(input);
            request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())));
            var response = await server.Grpc.ModelInferAsync(request);
            return (values, response);
        })).ToArray();

        var results = await Task.WhenAll(tasks);
        AssertBatched(batcher, results.Length);
        foreach (var (values, response) in results)
        {
            Assert.Equal(values, MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray());
        }
    }

    // Proof that batching happened: fewer model runs than requests.
    private static void AssertBatched(Serving.Worker.Batching.DynamicBatcher batcher, int requests, long executionsBefore = 0)
    {
        var executions = batcher.Executions - executionsBefore;
        Assert.True(executions < requests, $"{executions} runs for {requests} concurrent requests: nothing was batched");
    }

    private static float[] RandomRows(GoldenFile golden, Random random, int features)
    {
        var available = golden.Input.Length / features;
        var rows = random.Next(1, 9);
        var data = new float[rows * features];
        for (var r = 0; r < rows; r++)
        {
            var source = random.Next(available);
            Array.Copy(golden.Input, source * features, data, r * features, features);
        }

        return data;
    }

    private static async Task<float[]> InferAsync(WorkerServer server, string model, long version, float[] data, int features)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = model == "digits" ? "image" : "input", Datatype = "FP32" };
        input.Shape.AddRange(model == "digits" ? [data.Length / features, 1, 8, 8] : [data.Length / features, features]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())));
        var response = await server.Grpc.ModelInferAsync(request);
        return MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray();
    }
}
