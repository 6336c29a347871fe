namespace Serving.Commands;

/// <summary>
/// The arguments a role command does not know itself go to the host's configuration as settings
/// (<c>--Serving:Worker:MaxRequestBytes=1048576</c>, or the value as the next argument). A setting's key always has a
/// section (<c>Serving:…</c>, <c>Logging:…</c>), so an argument whose key has none is a mistyped option (<c>--rest-prot 9000</c>)
/// that configuration would have dropped without a word; those, and stray words, are refused here.
/// </summary>
internal static class SettingArguments
{
    // The host's own keys without a section (WebApplication reads them from the command line).
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "environment", "contentRoot", "applicationName" };

    /// <summary>What is wrong with the first argument that is neither an option nor a setting, or null when they all are.</summary>
    public static string? FindUnknown(IReadOnlyList<string> arguments, string command)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            var key = argument.StartsWith("--", StringComparison.Ordinal) ? argument[2..]
                : argument.StartsWith('/') ? argument[1..]
                : argument.Contains('=', StringComparison.Ordinal) && !argument.StartsWith('-') ? argument
                : null;
            if (key is null)
            {
                return $"unexpected argument '{argument}'. See 'serving {command} --help'.";
            }

            var equals = key.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                i++; // the value is the next argument, whatever it looks like (as configuration reads it)
            }
            else
            {
                key = key[..equals];
            }

            if (!key.Contains(':', StringComparison.Ordinal) && !HostKeys.Contains(key))
            {
                return $"unknown option '{argument}'. See 'serving {command} --help' for the options; settings take their section, "
                    + $"e.g. {Example(command)} (docs/configuration.md).";
            }
        }

        return null;
    }

    // A setting of the command's own role: the drift monitor has no Serving:Worker section to read.
    private static string Example(string command) => command switch
    {
        "drift" => "--Serving:Drift:Archive:Directory=/var/lib/serving/prediction-logs",
        "gateway" => "--Serving:Gateway:DiscoveryInterval=00:00:05",
        _ => "--Serving:Worker:MaxRequestBytes=1048576",
    };
}
