using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Serving.Gateway.Admin;

/// <summary>
/// The admin API's bearer token check (RFC 6750): no token is 401, a wrong one is 401 with
/// <c>error="invalid_token"</c>. Compared as SHA-256 digests in fixed time, so neither the
/// content nor the length of the token leaks through timing.
/// </summary>
internal sealed class AdminAuthorization(string token)
{
    private readonly byte[] _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public AdminAuthorizationResult Check(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AdminAuthorizationResult.Missing;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _digest) ? AdminAuthorizationResult.Allowed : AdminAuthorizationResult.Wrong;
    }
}
