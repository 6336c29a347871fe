using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>Reads a StackExchange.Redis connection string up front, so a bad one is refused with a reason, not a stack trace.</summary>
internal static class RedisConnectionString
{
    /// <summary>What to write instead, in error messages.</summary>
    public const string Example = "host:port[,option=value...], e.g. 127.0.0.1:6379";

    /// <summary>The parsed options; null, with why, when <paramref name="text"/> names no endpoint or holds a bad option or port.</summary>
    public static ConfigurationOptions? TryParse(string? text, out string? error)
    {
        try
        {
            var options = ConfigurationOptions.Parse(text ?? "");
            error = options.EndPoints.Count == 0 ? "it names no host:port" : null;
            return error is null ? options : null;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
    }
}
