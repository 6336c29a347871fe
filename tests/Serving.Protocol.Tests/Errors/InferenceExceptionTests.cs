using Grpc.Core;
using Serving.Protocol.Errors;

namespace Serving.Protocol.Tests.Errors;

public sealed class InferenceExceptionTests
{
    public static TheoryData<InferenceErrorCode, int, StatusCode> Mapping => new()
    {
        { InferenceErrorCode.InvalidArgument, 400, StatusCode.InvalidArgument },
        { InferenceErrorCode.NotFound, 404, StatusCode.NotFound },
        { InferenceErrorCode.Unavailable, 503, StatusCode.Unavailable },
        { InferenceErrorCode.ResourceExhausted, 429, StatusCode.ResourceExhausted },
        { InferenceErrorCode.DeadlineExceeded, 504, StatusCode.DeadlineExceeded },
        { InferenceErrorCode.PermissionDenied, 403, StatusCode.PermissionDenied },
        { InferenceErrorCode.Internal, 500, StatusCode.Internal },
        { InferenceErrorCode.Unimplemented, 501, StatusCode.Unimplemented },
    };

    [Theory]
    [MemberData(nameof(Mapping))]
    public void Statuses_EachCode_MapToHttpAndGrpc(InferenceErrorCode code, int http, StatusCode grpc)
    {
        var e = new InferenceException(code, "message");

        Assert.Equal(http, e.HttpStatus);
        Assert.Equal(grpc, e.GrpcStatus);
        Assert.Equal("message", e.Message);
        Assert.Null(e.HttpStatusOverride);
    }

    [Fact]
    public void Mapping_CoversEveryCode()
    {
        var mapped = Mapping.Select(row => (InferenceErrorCode)row[0]).Order();

        Assert.Equal(Enum.GetValues<InferenceErrorCode>().Order(), mapped);
    }

    [Fact]
    public void Statuses_UndefinedCode_AreInternal()
    {
        var e = new InferenceException((InferenceErrorCode)99, "m");

        Assert.Equal(500, e.HttpStatus);
        Assert.Equal(StatusCode.Internal, e.GrpcStatus);
    }

    [Fact]
    public void HttpStatusOverride_Set_ChangesHttpButNotGrpc()
    {
        var e = new InferenceException(InferenceErrorCode.InvalidArgument, "m", 422);

        Assert.Equal(422, e.HttpStatus);
        Assert.Equal(StatusCode.InvalidArgument, e.GrpcStatus);
    }

    [Fact]
    public void TooLarge_SizeLimit_Is413AndResourceExhausted()
    {
        var e = InferenceException.TooLarge("too big");

        Assert.Equal(InferenceErrorCode.ResourceExhausted, e.Code);
        Assert.Equal(413, e.HttpStatus);
        Assert.Equal(StatusCode.ResourceExhausted, e.GrpcStatus);
        Assert.Equal("too big", e.Message);
    }

    [Theory]
    [InlineData("invalid", InferenceErrorCode.InvalidArgument, 400)]
    [InlineData("notfound", InferenceErrorCode.NotFound, 404)]
    [InlineData("unavailable", InferenceErrorCode.Unavailable, 503)]
    public void Factories_EachKind_SetCodeStatusAndMessage(string factory, InferenceErrorCode code, int http)
    {
        var e = factory switch
        {
            "invalid" => InferenceException.Invalid("why"),
            "notfound" => InferenceException.NotFound("why"),
            _ => InferenceException.Unavailable("why"),
        };

        Assert.Equal(code, e.Code);
        Assert.Equal(http, e.HttpStatus);
        Assert.Equal("why", e.Message);
    }
}
