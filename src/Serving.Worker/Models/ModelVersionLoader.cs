using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Serving.Worker.Runtime;

namespace Serving.Worker.Models;

/// <inheritdoc cref="IModelVersionLoader"/>
internal sealed partial class ModelVersionLoader(
    OnnxSessionFactory sessions,
    Serving.Worker.Features.FeatureStores featureStores,
    Microsoft.Extensions.Options.IOptions<Serving.Worker.Configuration.WorkerOptions> options,
    ILogger<ModelVersionLoader> logger) : IModelVersionLoader
{
    /// <inheritdoc />
    public bool ReadsFeatureCsv => !featureStores.UsesRedis;

    /// <inheritdoc />
    public ModelVersion Load(string model, long version, string modelPath, ModelConfig config, string fingerprint)
    {
        InferenceSession? session = null;
        OnnxModelRunner? runner = null;
        var step = "creating the ONNX Runtime session";
        try
        {
            // No model file is empty. A named pipe or a device in its place reports 0 bytes too, and opening it would
            // block this load, and with it the repository's sync, until a writer came: it is refused unopened.
            if (Serving.Hosting.Configuration.RepositoryFile.ReadsEmpty(modelPath))
            {
                var empty = $"model '{model}' version {version}: model.onnx is empty (0 bytes): copy the model's file there whole "
                    + "(a named pipe or a device in its place is refused unread)";
                Log.LoadFailed(logger, model, version, empty);
                return ModelVersion.Failed(model, version, empty, fingerprint);
            }

            session = sessions.Create(model, version, modelPath, config.Runtime, out var provider);
            step = "checking model.yaml against the ONNX graph";
            var signature = SignatureBuilder.Build(model, version, config, session);
            runner = new OnnxModelRunner(session, signature, provider, logger, $"Model {model} version {version}");
            session = null;
            step = "warming up (one run on zeros)";
            runner.WarmUp();

            step = "setting up the feature lookup";
            var features = config.Features is { } f
                ? featureStores.CreateLookup(model, version, Path.GetDirectoryName(Path.GetDirectoryName(modelPath))!, f, signature)
                : null;

            step = "setting up the batcher";
            var statistics = new Serving.Worker.Metrics.InferenceStatistics(signature.MaxBatchSize);
            var settings = Serving.Worker.Batching.BatchSettings.From(config, options.Value.EnableBatching);
            var batcher = settings is null
                ? null
                : new Serving.Worker.Batching.DynamicBatcher(
                    runner, settings, new Serving.Worker.Metrics.BatchingMetrics.Series(model, version.ToString(System.Globalization.CultureInfo.InvariantCulture)), logger, features, statistics);
            Log.Loaded(logger, model, version, provider, settings is null ? "off" : $"max {settings.MaxBatchSize}");
            var ready = ModelVersion.Ready(model, version, runner, fingerprint, batcher, features, statistics);
            runner = null;
            return ready;
        }
        catch (ModelConfigException e)
        {
            Log.LoadFailed(logger, model, version, e.Message);
            return ModelVersion.Failed(model, version, e.Message, fingerprint);
        }
        catch (Exception e) when (e is OnnxRuntimeException or IOException or UnauthorizedAccessException or Serving.Protocol.Errors.InferenceException)
        {
            // ORT's message can carry the file's path: log it for operators, show callers a path-free reason.
            Log.LoadFailed(logger, model, version, e.Message);
            return ModelVersion.Failed(model, version, $"model '{model}' version {version}: ONNX Runtime could not load model.onnx: {WithoutPaths(e.Message, modelPath)}", fingerprint);
        }
        catch (Exception e)
        {
            // Any other failure is a state too: the version is UNAVAILABLE with the step and the exception, never left LOADING.
            var reason = $"model '{model}' version {version}: {step} failed: {WithoutPaths(e.Message, modelPath)} ({e.GetType().Name})";
            Log.LoadFailedUnexpectedly(logger, model, version, reason, e);
            return ModelVersion.Failed(model, version, reason, fingerprint);
        }
        finally
        {
            // Whatever the failure took: the session, or the runner that owns it (the batcher is made last, nothing after it fails).
            runner?.Dispose();
            session?.Dispose();
        }
    }

    private static string WithoutPaths(string message, string modelPath) =>
        message.Replace(modelPath, "model.onnx", StringComparison.Ordinal)
            .Replace(Path.GetDirectoryName(modelPath) ?? modelPath, "<version folder>", StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Model {Model} version {Version} is ready on {Provider}, batching {Batching}")]
        public static partial void Loaded(ILogger logger, string model, long version, string provider, string batching);

        [LoggerMessage(2, LogLevel.Error, "Model {Model} version {Version} is unavailable: {Reason}")]
        public static partial void LoadFailed(ILogger logger, string model, long version, string reason);

        [LoggerMessage(3, LogLevel.Error, "Model {Model} version {Version} is unavailable: {Reason}")]
        public static partial void LoadFailedUnexpectedly(ILogger logger, string model, long version, string reason, Exception exception);
    }
}
