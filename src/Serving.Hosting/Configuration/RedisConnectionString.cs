using StackExchange.Redis;

namespace Serving.Hosting.Configuration;

/// <summary>Reads a StackExchange.Redis connection string up front, so a bad one is refused with a reason, not a stack trace.</summary>
public static class RedisConnectionString
{
    /// <summary>What to write instead, in error messages.</summary>
    public const string Example = "host:port[,option=value...], e.g. 127.0.0.1:6379";

    /// <summary>The parsed options; null, with why, when <paramref name="text"/> names no endpoint or holds a bad option or port.</summary>
    public static ConfigurationOptions? TryParse(string? text, out string? error)
    {
        // StackExchange.Redis skips an empty entry and one with no name ("a,,=" is the host "a"), so a mangled string
        // would be taken for a host to connect to and reported as unreachable.
        var entries = (text ?? "").Split(',');
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i].Trim();
            if ((entry.Length == 0 && i < entries.Length - 1) || entry.StartsWith('='))
            {
                error = entry.Length == 0 ? $"entry {i + 1} is empty" : $"entry {i + 1} ('{Redact(entry)}') is an option with no name";
                return null;
            }

            // redis://user:password@host:port, the URL other clients take: StackExchange.Redis reads it as a host name,
            // which was reported as unreachable, the password shown in the report.
            if (entry.Contains("://", StringComparison.Ordinal))
            {
                error = $"entry {i + 1} ('{Redact(entry)}') is a URL; write its host:port, and a password as password=... " +
                    "(redis://:secret@10.0.0.5:6380 is 10.0.0.5:6380,password=secret; rediss:// adds ssl=true)";
                return null;
            }
        }

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

    /// <summary>
    /// <paramref name="text"/> with its password's value replaced by <c>*****</c>: what to show or log of a connection
    /// string. The user and password of a URL (<c>redis://user:secret@host</c>, refused by <see cref="TryParse"/>) go too.
    /// </summary>
    public static string Redact(string text)
    {
        var entries = text.Split(',');
        for (var i = 0; i < entries.Length; i++)
        {
            var equals = entries[i].IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0 && entries[i][..equals].Trim().Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                entries[i] = entries[i][..(equals + 1)] + "*****";
                continue;
            }

            var scheme = entries[i].IndexOf("://", StringComparison.Ordinal);
            var at = scheme < 0 ? -1 : entries[i].LastIndexOf('@');
            if (at > scheme)
            {
                entries[i] = entries[i][..(scheme + 3)] + "*****" + entries[i][at..];
            }
        }

        return string.Join(',', entries);
    }
}
