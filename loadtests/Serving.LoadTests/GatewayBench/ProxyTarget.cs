namespace Serving.LoadTests.GatewayBench;

/// <summary>Where the gateway bench sends its load: the worker itself, or a proxy in front of that same worker.</summary>
internal enum ProxyTarget
{
    /// <summary>The worker, no proxy.</summary>
    Direct,

    /// <summary>The Serving gateway (YARP) in front of the worker.</summary>
    Gateway,

    /// <summary>nginx (<c>grpc_pass</c> / <c>proxy_pass</c>) in front of the worker.</summary>
    Nginx,
}
