using Grpc.Core;
using Serving.Gateway.Rollback;

namespace Serving.Gateway.Tests.Rollback;

public sealed class RequestOutcomesTests
{
    [Theory]
    [InlineData(200, "Ok")]
    [InlineData(500, "Failed")]
    [InlineData(502, "Failed")]
    [InlineData(503, "Failed")]
    [InlineData(504, "Failed")]
    [InlineData(400, "Ignored")]
    [InlineData(404, "Ignored")]
    [InlineData(413, "Ignored")]
    [InlineData(429, "Ignored")]
    public void Classify_Rest(int status, string expected)
    {
        Assert.Equal(Enum.Parse<RequestOutcome>(expected), RequestOutcomes.Classify(status, grpcStatus: null));
    }

    [Theory]
    [InlineData(StatusCode.OK, "Ok")]
    [InlineData(StatusCode.Unavailable, "Failed")]
    [InlineData(StatusCode.Internal, "Failed")]
    [InlineData(StatusCode.Unknown, "Failed")]
    [InlineData(StatusCode.DeadlineExceeded, "Failed")]
    [InlineData(StatusCode.InvalidArgument, "Ignored")]
    [InlineData(StatusCode.NotFound, "Ignored")]
    [InlineData(StatusCode.ResourceExhausted, "Ignored")]
    [InlineData(StatusCode.Cancelled, "Ignored")]
    public void Classify_Grpc_ByGrpcStatus_NotHttp(StatusCode status, string expected)
    {
        // gRPC answers are HTTP 200 whatever happened.
        Assert.Equal(Enum.Parse<RequestOutcome>(expected), RequestOutcomes.Classify(200, (int)status));
    }
}
