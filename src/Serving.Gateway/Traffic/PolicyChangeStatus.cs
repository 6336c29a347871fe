namespace Serving.Gateway.Traffic;

/// <summary>How a policy change ended.</summary>
internal enum PolicyChangeStatus
{
    Applied,
    Invalid,
    Conflict,
    StoreUnavailable,
}
