using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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

    [Fact]
    public void CallerBudget_FromTheWorkersMark_InTheHeadersOrTheTrailers()
    {
        var rest = new DefaultHttpContext();
        rest.Response.Headers["x-serving-deadline"] = "caller; budget_us=1500";
        Assert.Equal(TimeSpan.FromMicroseconds(1500), RequestOutcomes.CallerBudget(rest, grpc: false, 504, null));

        var grpc = new DefaultHttpContext();
        var trailers = new ResponseTrailers();
        grpc.Features.Set<IHttpResponseTrailersFeature>(trailers);
        trailers.Trailers["x-serving-deadline"] = "caller; budget_us=0";
        grpc.Request.Headers["grpc-timeout"] = "5S"; // the worker's mark comes first
        Assert.Equal(TimeSpan.Zero, RequestOutcomes.CallerBudget(grpc, grpc: true, 200, (int)StatusCode.DeadlineExceeded));
    }

    [Fact]
    public void CallerBudget_Grpc_WithoutAMark_TheCallsGrpcTimeout_RestWithoutAMark_None()
    {
        var grpc = new DefaultHttpContext();
        grpc.Request.Headers["grpc-timeout"] = "250m";
        Assert.Equal(TimeSpan.FromMilliseconds(250), RequestOutcomes.CallerBudget(grpc, grpc: true, 200, (int)StatusCode.DeadlineExceeded));

        var rest = new DefaultHttpContext();
        rest.Request.Headers["X-Serving-Timeout-Ms"] = "250"; // the worker marks an expiry of it; without the mark it was not the caller's
        Assert.Null(RequestOutcomes.CallerBudget(rest, grpc: false, 504, null));
    }

    [Fact]
    public void CallerBudget_OnlyForADeadlineExpiry()
    {
        var rest = new DefaultHttpContext();
        rest.Response.Headers["x-serving-deadline"] = "caller; budget_us=1500";
        Assert.Null(RequestOutcomes.CallerBudget(rest, grpc: false, 500, null));
        Assert.Null(RequestOutcomes.CallerBudget(rest, grpc: false, 200, null));

        var grpc = new DefaultHttpContext();
        grpc.Request.Headers["grpc-timeout"] = "250m";
        Assert.Null(RequestOutcomes.CallerBudget(grpc, grpc: true, 200, (int)StatusCode.Unavailable));
        Assert.Null(RequestOutcomes.CallerBudget(grpc, grpc: true, 200, (int)StatusCode.OK));
    }

    [Theory]
    [InlineData("caller; budget_us=abc")]
    [InlineData("caller;budget_us=5")]
    [InlineData("budget_us=5")]
    [InlineData("caller; budget_us=-5")]
    [InlineData("caller; budget_us=99999999999999999999")]
    public void CallerBudget_MalformedMark_None(string mark)
    {
        var rest = new DefaultHttpContext();
        rest.Response.Headers["x-serving-deadline"] = mark;
        Assert.Null(RequestOutcomes.CallerBudget(rest, grpc: false, 504, null));
    }

    private sealed class ResponseTrailers : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}
