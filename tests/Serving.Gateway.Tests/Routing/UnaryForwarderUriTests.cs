using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Routing;

namespace Serving.Gateway.Tests.Routing;

/// <summary>ModelInfer's address at a worker is parsed once per worker and reused by the forwarder; any other path is built fresh.</summary>
public sealed class UnaryForwarderUriTests
{
    [Fact]
    public void ModelInfer_SameWorker_SameUriEachTime_AtTheWorkersAddress()
    {
        var forwarder = Forwarder();
        var first = forwarder.DestinationUri("http://127.0.0.1:19001", GatewayHeaders.GrpcInferPath);
        var second = forwarder.DestinationUri("http://127.0.0.1:19001", GatewayHeaders.GrpcInferPath);

        Assert.Same(first, second);
        Assert.Equal("http://127.0.0.1:19001/inference.GRPCInferenceService/ModelInfer", first.AbsoluteUri);
    }

    [Fact]
    public void ModelInfer_TwoWorkers_EachItsOwnAddress()
    {
        var forwarder = Forwarder();
        var a = forwarder.DestinationUri("http://127.0.0.1:19002", GatewayHeaders.GrpcInferPath);
        var b = forwarder.DestinationUri("http://worker-b.serving.svc:8001", GatewayHeaders.GrpcInferPath);

        Assert.Equal("http://127.0.0.1:19002/inference.GRPCInferenceService/ModelInfer", a.AbsoluteUri);
        Assert.Equal("http://worker-b.serving.svc:8001/inference.GRPCInferenceService/ModelInfer", b.AbsoluteUri);
    }

    [Fact]
    public void OtherPath_BuiltFresh_NotCached()
    {
        var forwarder = Forwarder();
        var first = forwarder.DestinationUri("http://127.0.0.1:19003", "/inference.GRPCInferenceService/ModelMetadata");
        var second = forwarder.DestinationUri("http://127.0.0.1:19003", "/inference.GRPCInferenceService/ModelMetadata");

        Assert.NotSame(first, second);
        Assert.Equal("http://127.0.0.1:19003/inference.GRPCInferenceService/ModelMetadata", first.AbsoluteUri);
        Assert.Equal(0, forwarder.CachedUris);
    }

    [Fact]
    public void ManyWorkersComingAndGoing_CacheStaysBounded_AddressesStayRight()
    {
        var forwarder = Forwarder();
        for (var i = 0; i < (UnaryForwarder.MaxCachedUris * 3) + 7; i++)
        {
            var prefix = $"http://10.0.{i / 250}.{i % 250}:8001";
            Assert.Equal(prefix + GatewayHeaders.GrpcInferPath, forwarder.DestinationUri(prefix, GatewayHeaders.GrpcInferPath).AbsoluteUri);
        }

        Assert.InRange(forwarder.CachedUris, 1, UnaryForwarder.MaxCachedUris);
    }

    [Fact]
    public void EachForwarder_ItsOwnCache()
    {
        var (a, b) = (Forwarder(), Forwarder());

        var uri = a.DestinationUri("http://127.0.0.1:19004", GatewayHeaders.GrpcInferPath);

        Assert.Equal(1, a.CachedUris);
        Assert.Equal(0, b.CachedUris);
        Assert.NotSame(uri, b.DestinationUri("http://127.0.0.1:19004", GatewayHeaders.GrpcInferPath));
    }

    private static UnaryForwarder Forwarder() => new(Options.Create(new GatewayOptions()));
}
