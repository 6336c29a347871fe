using System.Text;

namespace Serving.Testing;

/// <summary>
/// The network failures the Redis sweeps put between a server and a real redis-server, by name: those of a
/// <see cref="RedisProxy"/>, and <c>pause</c>, the server itself frozen (SIGSTOP), which needs no proxy.
/// </summary>
public static class RedisNetworkFailures
{
    /// <summary>Every failure's name, as theory data.</summary>
    public static IEnumerable<object[]> All =>
        new[] { "blackhole", "delay", "cut", "reset", "garbage", "-ERR", "-LOADING", "-READONLY", "-NOAUTH", "pause" }.Select(n => new object[] { n });

    /// <summary>The connection string to use for <paramref name="failure"/>: the server's own for <c>pause</c>, else the proxy's.</summary>
    public static string ConnectionString(string failure, RedisServer redis, RedisProxy proxy) => failure == "pause" ? redis.ConnectionString : proxy.ConnectionString;

    /// <summary>Starts <paramref name="failure"/>; <paramref name="delay"/> is what <c>delay</c> holds each reply.</summary>
    public static void Start(string failure, RedisServer redis, RedisProxy proxy, TimeSpan delay)
    {
        switch (failure)
        {
            case "blackhole": proxy.Blackhole(); break;
            case "delay": proxy.Delay(delay); break;
            case "cut": proxy.CutMidReply(); break;
            case "reset": proxy.Reset(); break;
            case "garbage": proxy.AnswerGarbage(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n\u0000\u00ff")); break;
            case "pause": redis.Pause(); break;
            default: proxy.Answer(failure + " the proxy answers this\r\n"); break;
        }
    }

    /// <summary>Ends <paramref name="failure"/>.</summary>
    public static void End(string failure, RedisServer redis, RedisProxy proxy)
    {
        if (failure == "pause")
        {
            redis.Resume();
        }
        else
        {
            proxy.Forward();
        }
    }
}
