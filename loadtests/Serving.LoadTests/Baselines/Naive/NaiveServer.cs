using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.LoadTests.Baselines.Hosting;

namespace Serving.LoadTests.Baselines.Naive;

/// <summary>The naive baseline: a minimal ASP.NET server calling ONNX Runtime per request, the floor the product must beat.</summary>
internal static class NaiveServer
{
    /// <summary>Loads the model and starts the server on 127.0.0.1; the server owns and disposes the model.</summary>
    public static async Task<BaselineServer> StartAsync(NaiveServerOptions options, CancellationToken cancellationToken)
    {
        var (name, version, path) = ModelDirectory.Resolve(options.ModelDirectory, options.ModelName, options.Version);
        var model = new NaiveOnnxModel(name, version, path, options.IntraOpThreads);
        try
        {
            return await BaselineHost.StartAsync(
                options.Ports,
                services => services.AddSingleton(new OipGrpcService(model, "serving-naive-baseline")),
                app =>
                {
                    app.MapGrpcService<OipGrpcService>();
                    app.MapOipRest(model, "serving-naive-baseline");
                },
                owned: model,
                cancellationToken);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
