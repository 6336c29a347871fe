using System.Diagnostics;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Worker.Metrics;

namespace Serving.Worker.Inference;

/// <summary>Runs a decoded infer request on the version it names, whichever protocol carried it.</summary>
internal sealed class InferenceService(ModelResolver resolver, WorkerMetrics metrics)
{
    public InferenceResponse Infer(InferenceRequest request, string protocol, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string model = "_unknown", version = "";
        try
        {
            using var lease = resolver.Acquire(request.ModelName, request.ModelVersion);
            var v = lease.Version;
            model = v.Model;
            version = v.VersionText;
            var runner = v.Runner!;
            var inputs = RequestValidator.OrderInputs(v.Model, runner.Signature, request);
            var outputNames = RequestValidator.OutputNames(v.Model, runner.Signature, request);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new InferenceException(InferenceErrorCode.DeadlineExceeded, "the request was cancelled or its deadline passed before it ran");
            }

            var outputs = runner.Run(inputs, outputNames);
            metrics.Observe(model, version, protocol, "ok", Stopwatch.GetElapsedTime(started).TotalSeconds);
            return new InferenceResponse(v.Model, v.VersionText, request.Id, outputs);
        }
        catch (InferenceException e)
        {
            metrics.Observe(model, version, protocol, e.Code.ToString(), 0);
            throw;
        }
    }
}
