namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>
/// The two loopback ports a baseline listens on. Kestrel cannot offer HTTP/1.1 and HTTP/2 on one cleartext
/// port (without TLS there is no ALPN to choose), so gRPC gets an h2c port and REST an HTTP/1.1 port; 0 picks a free one.
/// </summary>
internal sealed record BaselinePorts(int Http2Port, int Http1Port)
{
    /// <summary>Free ports, for in-process use.</summary>
    public static BaselinePorts Any { get; } = new(0, 0);

    /// <summary><paramref name="port"/> for h2c and the next one for HTTP/1.1, unless <paramref name="http1Port"/> says otherwise.</summary>
    public static BaselinePorts From(int port, int? http1Port) => new(port, http1Port ?? (port == 0 ? 0 : port + 1));
}
