namespace Serving.Gateway.Admin;

/// <summary>The bearer token check's verdict.</summary>
internal enum AdminAuthorizationResult
{
    Allowed,
    Missing,
    Wrong,
}
