using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.LoadTests.Baselines.Hosting;

namespace Serving.LoadTests.Baselines.Echo;

/// <summary>The echo baseline: the ceiling of the RPC path on this machine, not the product.</summary>
internal static class EchoServer
{
    /// <summary>Starts the server on 127.0.0.1; with port 0 the returned addresses carry the ports picked.</summary>
    public static Task<BaselineServer> StartAsync(EchoServerOptions options, CancellationToken cancellationToken)
    {
        var backend = new EchoBackend(options.Features);
        return BaselineHost.StartAsync(
            options.Ports,
            services => services.AddSingleton(new EchoGrpcService(backend)),
            app =>
            {
                app.MapGrpcService<EchoGrpcService>();
                app.MapOipRest(backend, "serving-echo-baseline");
            },
            owned: null,
            cancellationToken);
    }
}
