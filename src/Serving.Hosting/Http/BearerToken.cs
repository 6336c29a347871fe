using System.Security.Cryptography;
using System.Text;

namespace Serving.Hosting.Http;

/// <summary>
/// A bearer token check (RFC 6750) for the admin endpoints of the gateway and the worker: the scheme in any case (RFC
/// 9110 §11.1), the token compared as SHA-256 digests in fixed time, so neither its content nor its length leaks
/// through timing.
/// </summary>
public sealed class BearerToken(string token)
{
    private const string Scheme = "Bearer ";

    private readonly byte[] _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>
    /// Why <paramref name="token"/> (configured as <paramref name="key"/>) could never be presented, or null: HTTP trims a
    /// header value's white space, so a token that begins or ends with some (a token file's newline) matches no caller.
    /// </summary>
    public static string? Unusable(string key, string? token) =>
        !string.IsNullOrEmpty(token) && token.Trim().Length != token.Length
            ? $"{key} begins or ends with white space (a newline from the file it was read from?): a caller's bearer token can't carry it, so nobody could use it; remove it"
            : null;

    /// <summary>Null when <paramref name="authorization"/> (the header's value) holds no bearer token; else whether it is this one.</summary>
    public bool? Matches(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _digest);
    }
}
