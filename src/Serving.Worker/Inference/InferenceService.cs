using System.Diagnostics;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Features;
using Serving.Worker.Metrics;
using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Inference;

/// <summary>Runs a decoded infer request on the version it names, whichever protocol carried it: through the version's batcher, or inline.</summary>
internal sealed class InferenceService(ModelResolver resolver, WorkerMetrics metrics, IPredictionLogSink logs)
{
    /// <summary>The request parameter Triton uses for a per-request timeout, in microseconds.</summary>
    public const string TimeoutParameter = "timeout";

    /// <summary>The header / response metadata key that says which version served a response.</summary>
    public const string ServedVersionHeader = "x-serving-model-version";

    /// <summary>
    /// Runs the request; <paramref name="deadline"/> is a <see cref="Stopwatch"/> timestamp, <see cref="CallerDeadline.NotGiven"/>
    /// or <see cref="CallerDeadline.Unbounded"/> (a timeout too long to matter, which overrides the model's default);
    /// <paramref name="gateway"/> says what a gateway routed the request by (nothing when a caller talks to the worker directly).
    /// A deadline expiry of a deadline the caller gave (<paramref name="deadline"/> or Triton's <c>timeout</c> parameter) is
    /// thrown with its <see cref="InferenceException.CallerBudget"/>; one of the model's <c>default_timeout_ms</c> without.
    /// </summary>
    public async Task<InferenceResponse> InferAsync(
        InferenceRequest request, string protocol, long deadline, CancellationToken cancellationToken, GatewayHints gateway = default)
    {
        var started = Stopwatch.GetTimestamp();
        string model = "", version = "";
        InferenceStatistics? statistics = null;
        try
        {
            using var lease = resolver.Acquire(request.ModelName, gateway.VersionFor(request));
            var v = lease.Version;
            statistics = v.Statistics;
            model = v.Model;
            version = v.VersionText;
            var runner = v.Runner!;
            var inputs = RequestValidator.OrderInputs(v.Model, runner.Signature, request, v.Features);
            var outputNames = RequestValidator.OutputNames(v.Model, runner.Signature, request);
            deadline = Math.Min(deadline, ParameterDeadline(request, started)); // a timeout given (Unbounded included) is below NotGiven
            using var features = v.Features is { } lookup && lookup.IsEntityForm(request)
                ? new FeatureScope(new FeatureItem(lookup.Prepare(request, runner.Signature.MaxBatchSize)))
                : default;

            InferenceResponse response;
            if (v.Batcher is { } batcher)
            {
                var result = await batcher.EnqueueAsync(inputs, outputNames, deadline, cancellationToken, features.Item).ConfigureAwait(false);
                response = new InferenceResponse(v.Model, v.VersionText, request.Id, result.Outputs, result.Owner);
                InferenceSpans.Record(result.Timings, model, version);
            }
            else
            {
                if (Stopwatch.GetTimestamp() >= deadline)
                {
                    throw new InferenceException(InferenceErrorCode.DeadlineExceeded, "the request's deadline passed before it ran");
                }

                cancellationToken.ThrowIfCancellationRequested();
                var runStarted = Stopwatch.GetTimestamp();
                var featuresDone = 0L;
                if (features.Item is { } item)
                {
                    var until = deadline >= CallerDeadline.Unbounded ? long.MaxValue : deadline;
                    if (!await v.Features!.FillAsync([item], until).ConfigureAwait(false) || Stopwatch.GetTimestamp() >= until)
                    {
                        throw new InferenceException(InferenceErrorCode.DeadlineExceeded, "the request's deadline passed while its features were looked up");
                    }

                    inputs[v.Features.TargetIndex] = item.Error is { } error ? throw error : item.Filled!;
                    featuresDone = Stopwatch.GetTimestamp();
                }

                response = new InferenceResponse(v.Model, v.VersionText, request.Id, runner.Run(inputs, outputNames));
                var runDone = Stopwatch.GetTimestamp();
                statistics?.Executed(Rows(response.Outputs, runner.Signature.MaxBatchSize), 0, runDone - (featuresDone > 0 ? featuresDone : runStarted), 0);
                InferenceSpans.Record(new(runStarted, runStarted, featuresDone, runDone, 1, (int)(inputs[0]?.Shape.FirstOrDefault() ?? 1)), model, version);
            }

            features.Item?.Request.AddParameters(response.Parameters);

            var done = Stopwatch.GetTimestamp();
            var elapsed = Stopwatch.GetElapsedTime(started, done);
            Observe(model, version, protocol, "ok", elapsed.TotalSeconds, gateway);
            statistics?.Succeeded(Rows(response.Outputs, runner.Signature.MaxBatchSize), started, done);
            if (logs.Enabled)
            {
                logs.Record(new PredictionContext(model, version, request.Id, inputs, response.Outputs, elapsed.TotalMilliseconds, gateway.Arm, v.Fingerprint));
            }

            if (Classification.Requested(request.Outputs))
            {
                // After the log, which keeps the model's own outputs for drift scoring.
                ApplyClassification(response, request, runner.Signature);
            }

            return response;
        }
        catch (InferenceException e)
        {
            Observe(model.Length > 0 ? model : resolver.MetricLabel(request.ModelName), version, protocol, e.Code.ToString(), 0, gateway);
            statistics?.Failed(Stopwatch.GetTimestamp() - started);
            if (e.Code == InferenceErrorCode.DeadlineExceeded && deadline < CallerDeadline.Unbounded && e.CallerBudget is null)
            {
                // The caller gave this deadline (the model's default timeout is applied by the batcher, to its own copy):
                // the endpoints say so (CallerDeadlineMark), so a gateway doesn't take a short deadline for a slow version.
                throw e.ForCallerDeadline(Stopwatch.GetElapsedTime(started, deadline));
            }

            throw;
        }
        catch (OperationCanceledException)
        {
            Observe(model.Length > 0 ? model : resolver.MetricLabel(request.ModelName), version, protocol, Cancelled, 0, gateway);
            throw;
        }
    }

    // Every outcome of InferAsync, counted once; a gateway's shadow copy is counted apart too.
    private void Observe(string model, string version, string protocol, string code, double seconds, GatewayHints gateway)
    {
        metrics.Observe(model, version, protocol, code, seconds);
        if (gateway.IsShadow)
        {
            WorkerMetrics.ObserveShadow(model, version, code);
        }
    }

    /// <summary>The <c>code</c> of a request whose caller went away.</summary>
    public const string Cancelled = "Cancelled";

    /// <summary>
    /// Counts an infer request that ended before <see cref="InferAsync"/> (unread, unreadable, refused by its path or
    /// headers), which counts every other: so each request that reaches an infer endpoint is counted once, with no version.
    /// </summary>
    public void Refused(string modelName, string protocol, string code) =>
        metrics.Observe(resolver.MetricLabel(modelName), "", protocol, code, 0);

    private static void ApplyClassification(InferenceResponse response, InferenceRequest request, Runtime.ModelSignature signature)
    {
        try
        {
            Classification.Apply(response, request.Outputs, signature);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Inferences in a request: the batch dimension of its outputs (1 for a model without one).</summary>
    private static int Rows(List<InferTensor> outputs, int maxBatchSize) =>
        maxBatchSize > 0 && outputs.Count > 0 && outputs[0].Shape.Length > 0 ? (int)outputs[0].Shape[0] : 1;

    /// <summary>
    /// The longest timeout that sets a deadline: a caller's longer one (up to Triton's 2^64 - 1 µs) sets none
    /// (<see cref="CallerDeadline.Unbounded"/>), as waits past it don't happen here (and .NET's timers take at most ~49.7 days).
    /// </summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>A deadline <paramref name="timeout"/> from now, as a <see cref="Stopwatch"/> timestamp (<see cref="CallerDeadline.Unbounded"/> from <see cref="MaxTimeout"/> on).</summary>
    public static long DeadlineIn(TimeSpan timeout) =>
        timeout < MaxTimeout
            ? Stopwatch.GetTimestamp() + (long)(Math.Max(timeout.TotalSeconds, 0) * Stopwatch.Frequency)
            : CallerDeadline.Unbounded;

    /// <summary>A deadline <paramref name="milliseconds"/> (positive) from now: <see cref="DeadlineIn(TimeSpan)"/> without TimeSpan's overflow.</summary>
    public static long DeadlineInMilliseconds(long milliseconds) =>
        milliseconds < MaxTimeout.TotalMilliseconds ? DeadlineIn(TimeSpan.FromMilliseconds(milliseconds)) : CallerDeadline.Unbounded;

    // Triton's 'timeout' parameter, in µs: an int64, uint64 or double parameter (JSON numbers come as any of them). 0 is
    // Triton's "no timeout of the request's own": the model's default_timeout_ms applies, as when it is not given.
    private static long ParameterDeadline(InferenceRequest request, long now)
    {
        if (!request.Parameters.TryGetValue(TimeoutParameter, out var value))
        {
            return CallerDeadline.NotGiven;
        }

        var micros = value switch
        {
            long l => l,
            ulong u => u > long.MaxValue ? long.MaxValue : (long)u,
            double d when double.IsNaN(d) || d < 0 => -1,
            double d => d >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(d),
            _ => throw InferenceException.Invalid("parameter 'timeout' must be a number of microseconds"),
        };
        if (micros < 0)
        {
            throw InferenceException.Invalid("parameter 'timeout' must be a positive number of microseconds, or 0 for the model's default");
        }

        if (micros == 0)
        {
            return CallerDeadline.NotGiven;
        }

        return micros < MaxTimeout.Ticks / TimeSpan.TicksPerMicrosecond
            ? now + (long)(micros / 1e6 * Stopwatch.Frequency)
            : CallerDeadline.Unbounded;
    }
}
