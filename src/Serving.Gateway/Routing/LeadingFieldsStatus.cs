namespace Serving.Gateway.Routing;

/// <summary>Whether the leading fields were found, need more bytes, the body is malformed, or compressed in a way the gateway cannot read.</summary>
internal enum LeadingFieldsStatus
{
    Ok,
    NeedMoreData,
    Invalid,
    UnsupportedEncoding,
}
