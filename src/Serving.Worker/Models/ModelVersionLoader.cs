using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Serving.Worker.Runtime;

namespace Serving.Worker.Models;

/// <summary>Loads one version: session, signature check against the graph, warm-up. Never throws: failure is a state.</summary>
internal sealed partial class ModelVersionLoader(OnnxSessionFactory sessions, ILogger<ModelVersionLoader> logger)
{
    public ModelVersion Load(string model, long version, string modelPath, ModelConfig config, string fingerprint)
    {
        InferenceSession? session = null;
        try
        {
            session = sessions.Create(model, version, modelPath, config.Runtime, out var provider);
            var signature = SignatureBuilder.Build(model, version, config, session);
            var runner = new OnnxModelRunner(session, signature, provider);
            session = null;
            try
            {
                runner.WarmUp();
            }
            catch
            {
                runner.Dispose();
                throw;
            }

            Log.Loaded(logger, model, version, provider);
            return ModelVersion.Ready(model, version, runner, fingerprint);
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
        finally
        {
            session?.Dispose();
        }
    }

    private static string WithoutPaths(string message, string modelPath) =>
        message.Replace(modelPath, "model.onnx", StringComparison.Ordinal)
            .Replace(Path.GetDirectoryName(modelPath) ?? modelPath, "<version folder>", StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Model {Model} version {Version} is ready on {Provider}")]
        public static partial void Loaded(ILogger logger, string model, long version, string provider);

        [LoggerMessage(2, LogLevel.Error, "Model {Model} version {Version} is unavailable: {Reason}")]
        public static partial void LoadFailed(ILogger logger, string model, long version, string reason);
    }
}
