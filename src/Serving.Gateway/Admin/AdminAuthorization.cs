using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Serving.Hosting.Http;

namespace Serving.Gateway.Admin;

/// <summary>
/// The admin API's bearer token check (RFC 6750, <see cref="BearerToken"/>): no token is 401, a wrong one is 401 with
/// <c>error="invalid_token"</c>.
/// </summary>
internal sealed class AdminAuthorization(string token)
{
    private readonly BearerToken _token = new(token);

    public AdminAuthorizationResult Check(HttpRequest request) => _token.Matches(request.Headers[HeaderNames.Authorization].ToString()) switch
    {
        null => AdminAuthorizationResult.Missing,
        true => AdminAuthorizationResult.Allowed,
        false => AdminAuthorizationResult.Wrong,
    };
}
