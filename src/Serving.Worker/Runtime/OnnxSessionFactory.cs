using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Serving.Worker.Configuration;
using Serving.Worker.Models;

namespace Serving.Worker.Runtime;

/// <summary>Creates ONNX Runtime sessions with the options from <c>model.yaml</c> and the chosen execution provider.</summary>
internal sealed partial class OnnxSessionFactory(IOptions<RuntimeOptions> defaults, ILogger<OnnxSessionFactory> logger)
{
    private static int _cudaNoticeLogged;

    /// <summary>Creates a session; the returned provider is the one actually used.</summary>
    public InferenceSession Create(string modelName, long version, string path, RuntimeConfig? config, out string provider)
    {
        config ??= new RuntimeConfig();
        var requested = config.ExecutionProvider ?? defaults.Value.ExecutionProvider;
        if (!ExecutionProviders.TryParse(requested, out var kind))
        {
            throw new ModelConfigException($"model '{modelName}': execution provider '{requested}' is not auto, cpu or cuda");
        }

        var options = CreateOptions(config);
        try
        {
            provider = AppendProvider(options, kind, config.DeviceId, modelName, version);
            return new InferenceSession(path, options);
        }
        finally
        {
            options.Dispose();
        }
    }

    private static SessionOptions CreateOptions(RuntimeConfig config)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = config.IntraOpThreads,
            InterOpNumThreads = config.InterOpThreads,
            GraphOptimizationLevel = config.GraphOptimizationLevel switch
            {
                "disable" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };

        // Idle intra-op threads spin by default and burn cores that other sessions and Kestrel need.
        var spin = config.AllowSpinning ? "1" : "0";
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin);
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", spin);
        return options;
    }

    private string AppendProvider(SessionOptions options, ExecutionProviderKind kind, int deviceId, string modelName, long version)
    {
        if (kind == ExecutionProviderKind.Cpu)
        {
            return "cpu";
        }

        if (!ExecutionProviders.CudaAvailable)
        {
            if (kind == ExecutionProviderKind.Cuda)
            {
                throw new ModelConfigException($"model '{modelName}' version {version}: {ExecutionProviders.CudaMissingMessage}");
            }

            if (Interlocked.Exchange(ref _cudaNoticeLogged, 1) == 0)
            {
                Log.CudaUnavailable(logger, string.Join(", ", ExecutionProviders.AvailableProviders));
            }

            return "cpu";
        }

        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
            return "cuda";
        }
        catch (OnnxRuntimeException e) when (kind == ExecutionProviderKind.Auto)
        {
            Log.CudaFailed(logger, modelName, version, deviceId, e.Message);
            return "cpu";
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Execution provider auto: this ONNX Runtime build has no CUDA provider (it has: {Providers}); models run on CPU. For GPUs build with -p:OnnxRuntimeGpu=true")]
        public static partial void CudaUnavailable(ILogger logger, string providers);

        [LoggerMessage(2, LogLevel.Warning, "Model {Model} version {Version}: CUDA device {DeviceId} could not be used ({Reason}); falling back to CPU")]
        public static partial void CudaFailed(ILogger logger, string model, long version, int deviceId, string reason);
    }
}
