using Microsoft.AspNetCore.Builder;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>A running baseline server and the addresses it is bound to.</summary>
internal sealed class BaselineServer(WebApplication app, Uri http2Address, Uri http1Address, IDisposable? owned) : IAsyncDisposable
{
    /// <summary>h2c: gRPC (and REST over HTTP/2).</summary>
    public Uri Http2Address { get; } = http2Address;

    /// <summary>HTTP/1.1: REST.</summary>
    public Uri Http1Address { get; } = http1Address;

    /// <summary>The address a generator should use for <paramref name="protocol"/>.</summary>
    public Uri AddressFor(Targets.TargetProtocol protocol) => protocol == Targets.TargetProtocol.Grpc ? Http2Address : Http1Address;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        owned?.Dispose();
    }
}
