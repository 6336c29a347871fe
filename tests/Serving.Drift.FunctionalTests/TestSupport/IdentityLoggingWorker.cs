using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.PredictionLogs;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>A real drift monitor and a real worker serving <c>identity_fp32</c> that logs every prediction to it.</summary>
internal sealed class IdentityLoggingWorker : IAsyncDisposable
{
    public const string Model = "identity_fp32";

    private readonly TempDirectory _repository;

    private IdentityLoggingWorker(DriftServer drift, TempDirectory repository, WorkerServer worker)
    {
        Drift = drift;
        _repository = repository;
        Worker = worker;
    }

    public DriftServer Drift { get; }

    public WorkerServer Worker { get; }

    /// <summary>The worker's prediction-log tallies.</summary>
    public PredictionLogStats Stats => Worker.Service<PredictionLogStats>();

    public static async Task<IdentityLoggingWorker> StartAsync()
    {
        var drift = await DriftServer.StartAsync();
        var repository = RepoPaths.CopyModels(RepoPaths.TestModels, Model);
        var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.100",
        });
        return new IdentityLoggingWorker(drift, repository, worker);
    }

    /// <summary>A gRPC request of one FP32 row, sent as raw little-endian bytes.</summary>
    public static ModelInferRequest Request(string id, params float[] row)
    {
        var request = new ModelInferRequest { ModelName = Model, Id = id };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "FP32", Shape = { 1, row.Length } });
        request.RawInputContents.Add(ByteString.CopyFrom([.. row.SelectMany(BitConverter.GetBytes)]));
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        _repository.Dispose();
        await Drift.DisposeAsync();
    }
}
