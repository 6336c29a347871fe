namespace Serving.Gateway.Traffic;

/// <summary>
/// The policy store holds data the gateway can't read (a truncated or corrupt policy file). Changes are refused while it
/// does, so what it holds is never overwritten; the message says what to do.
/// </summary>
internal sealed class PolicyStoreUnreadableException(string message, Exception? inner = null) : Exception(message, inner);
