namespace Serving.LoadTests.GatewayBench;

/// <summary>The two roots a target answers on: gRPC over h2c, REST over HTTP/1.1 (no ALPN without TLS, so two ports).</summary>
/// <param name="Grpc">The h2c root.</param>
/// <param name="Rest">The HTTP/1.1 root.</param>
internal sealed record TargetAddresses(Uri Grpc, Uri Rest)
{
    /// <summary>The root for <paramref name="protocol"/>.</summary>
    public Uri For(Targets.TargetProtocol protocol) => protocol == Targets.TargetProtocol.Grpc ? Grpc : Rest;

    /// <summary>Both roots on 127.0.0.1.</summary>
    public static TargetAddresses Loopback(int grpcPort, int restPort) =>
        new(new Uri($"http://127.0.0.1:{grpcPort}"), new Uri($"http://127.0.0.1:{restPort}"));
}
