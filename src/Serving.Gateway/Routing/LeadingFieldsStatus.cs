namespace Serving.Gateway.Routing;

/// <summary>Whether the leading fields were found, need more bytes, or the body is malformed.</summary>
internal enum LeadingFieldsStatus
{
    Ok,
    NeedMoreData,
    Invalid,
}
