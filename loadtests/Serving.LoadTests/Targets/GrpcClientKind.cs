namespace Serving.LoadTests.Targets;

/// <summary>Which client library carries gRPC calls.</summary>
internal enum GrpcClientKind
{
    /// <summary>Grpc.Net.Client: what .NET callers of the product use.</summary>
    GrpcNet,

    /// <summary>
    /// gRPC framing over SocketsHttpHandler directly: about half the client CPU per call on this machine, so
    /// the generator takes fewer cores from the server it measures (on 2 cores that moves the ceiling).
    /// </summary>
    RawHttp2,
}
