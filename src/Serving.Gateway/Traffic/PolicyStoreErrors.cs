using StackExchange.Redis;

namespace Serving.Gateway.Traffic;

/// <summary>What a caller is told of a policy store failure.</summary>
internal static class PolicyStoreErrors
{
    private const int MaxLength = 200;

    /// <summary>
    /// The failure in a line: a Redis client's message up to its first ';' (the rest is a client diagnostic dump, about
    /// 1.5 KB, that the gateway's log keeps), at most 200 characters.
    /// </summary>
    public static string Describe(Exception e)
    {
        var message = e.Message;
        if (e is RedisException && message.IndexOf(';', StringComparison.Ordinal) is > 0 and var end)
        {
            message = message[..end];
        }

        return message.Length <= MaxLength ? message : message[..MaxLength] + "…";
    }
}
