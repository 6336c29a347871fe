using Microsoft.AspNetCore.Http;
using Serving.Gateway.Admin;

namespace Serving.Gateway.Tests.Admin;

public sealed class AdminAuthorizationTests
{
    private readonly AdminAuthorization _authorization = new("a-very-long-admin-token");

    [Theory]
    [InlineData(null, "Missing")]
    [InlineData("", "Missing")]
    [InlineData("Basic YWRtaW46YWRtaW4=", "Missing")]
    [InlineData("Bearer wrong", "Wrong")]
    [InlineData("Bearer a-very-long-admin-token-and-more", "Wrong")]
    [InlineData("Bearer ", "Wrong")]
    [InlineData("Bearer a-very-long-admin-token", "Allowed")]
    [InlineData("bearer a-very-long-admin-token", "Allowed")]
    public void Check_Header_Result(string? header, string expected)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers.Authorization = header;
        }

        Assert.Equal(expected, _authorization.Check(context.Request).ToString());
    }
}
