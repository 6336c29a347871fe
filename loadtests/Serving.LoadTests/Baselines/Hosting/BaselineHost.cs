using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>Starts a minimal Kestrel host on 127.0.0.1 for a baseline: h2c and HTTP/1.1 endpoints, gRPC, warnings-only logging.</summary>
internal static class BaselineHost
{
    /// <summary>Upper bound on a request body and gRPC message: generous for batched tensors, bounded for memory.</summary>
    public const int MaxMessageBytes = 256 * 1024 * 1024;

    /// <summary>Builds, maps and starts the host; returns it with the ports actually bound.</summary>
    public static async Task<BaselineServer> StartAsync(
        BaselinePorts ports,
        Action<IServiceCollection> configureServices,
        Action<WebApplication> map,
        IDisposable? owned,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });

        // Per-request Information logs would cost more than the echo itself.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // The host's "Hosting failed to start" error repeats, stack and all, the exception StartAsync throws to the
        // command, which says it in one line (CommandGuard); its warnings and Critical lines still show.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level is LogLevel.Warning or LogLevel.Critical);
        ListenOptions? http2 = null;
        ListenOptions? http1 = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxMessageBytes;
            kestrel.Listen(IPAddress.Loopback, ports.Http2Port, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                http2 = o;
            });
            kestrel.Listen(IPAddress.Loopback, ports.Http1Port, o =>
            {
                o.Protocols = HttpProtocols.Http1;
                http1 = o;
            });
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageBytes;
            o.MaxSendMessageSize = MaxMessageBytes;
        });
        configureServices(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync(cancellationToken);

        // Kestrel writes the bound endpoint back into the listen options, which is how port 0 becomes a real port.
        return new BaselineServer(app, AddressOf(http2!), AddressOf(http1!), owned);
    }

    private static Uri AddressOf(ListenOptions options) => new($"http://127.0.0.1:{options.IPEndPoint!.Port}");
}
