using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>Builds real <see cref="OnnxModelRunner"/>s the way the loader does, without warm-up.</summary>
internal static class Runners
{
    public static OnnxSessionFactory SessionFactory() =>
        new(Options.Create(new RuntimeOptions()), NullLogger<OnnxSessionFactory>.Instance);

    /// <summary>A runner for <c>&lt;modelDirectory&gt;/&lt;version&gt;/model.onnx</c> with the folder's model.yaml.</summary>
    public static OnnxModelRunner Create(string modelDirectory, long version = 1, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var name = Path.GetFileName(modelDirectory);
        var config = ModelConfigLoader.Load(name, ModelConfigLoader.Find(modelDirectory)!);
        var modelPath = Path.Combine(modelDirectory, version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx");
        var session = SessionFactory().Create(name, version, modelPath, config.Runtime, out var provider);
        try
        {
            return new OnnxModelRunner(session, SignatureBuilder.Build(name, version, config, session), provider, logger, $"Model {name} version {version}");
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public static OnnxModelRunner TestModel(string name, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        Create(Path.Combine(RepoPaths.TestModels, name), logger: logger);
}
