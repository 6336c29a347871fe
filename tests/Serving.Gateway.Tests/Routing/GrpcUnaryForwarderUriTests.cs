using Serving.Gateway.Routing;

namespace Serving.Gateway.Tests.Routing;

/// <summary>ModelInfer's address at a worker is parsed once per worker and reused; any other path is built fresh.</summary>
public sealed class GrpcUnaryForwarderUriTests
{
    [Fact]
    public void ModelInfer_SameWorker_SameUriEachTime_AtTheWorkersAddress()
    {
        var first = GrpcUnaryForwarder.DestinationUri("http://127.0.0.1:19001", GatewayHeaders.GrpcInferPath);
        var second = GrpcUnaryForwarder.DestinationUri("http://127.0.0.1:19001", GatewayHeaders.GrpcInferPath);

        Assert.Same(first, second);
        Assert.Equal("http://127.0.0.1:19001/inference.GRPCInferenceService/ModelInfer", first.AbsoluteUri);
    }

    [Fact]
    public void ModelInfer_TwoWorkers_EachItsOwnAddress()
    {
        var a = GrpcUnaryForwarder.DestinationUri("http://127.0.0.1:19002", GatewayHeaders.GrpcInferPath);
        var b = GrpcUnaryForwarder.DestinationUri("http://worker-b.serving.svc:8001", GatewayHeaders.GrpcInferPath);

        Assert.Equal("http://127.0.0.1:19002/inference.GRPCInferenceService/ModelInfer", a.AbsoluteUri);
        Assert.Equal("http://worker-b.serving.svc:8001/inference.GRPCInferenceService/ModelInfer", b.AbsoluteUri);
    }

    [Fact]
    public void OtherPath_BuiltFresh_NotCached()
    {
        var first = GrpcUnaryForwarder.DestinationUri("http://127.0.0.1:19003", "/inference.GRPCInferenceService/ModelMetadata");
        var second = GrpcUnaryForwarder.DestinationUri("http://127.0.0.1:19003", "/inference.GRPCInferenceService/ModelMetadata");

        Assert.NotSame(first, second);
        Assert.Equal("http://127.0.0.1:19003/inference.GRPCInferenceService/ModelMetadata", first.AbsoluteUri);
    }

    [Fact]
    public void ManyWorkersComingAndGoing_CacheStaysBounded_AddressesStayRight()
    {
        for (var i = 0; i < (GrpcUnaryForwarder.MaxCachedUris * 3) + 7; i++)
        {
            var prefix = $"http://10.0.{i / 250}.{i % 250}:8001";
            Assert.Equal(prefix + GatewayHeaders.GrpcInferPath, GrpcUnaryForwarder.DestinationUri(prefix, GatewayHeaders.GrpcInferPath).AbsoluteUri);
        }

        Assert.InRange(GrpcUnaryForwarder.CachedUris, 1, GrpcUnaryForwarder.MaxCachedUris);
    }
}
