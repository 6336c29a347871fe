namespace Serving.Commands;

/// <summary>How the commands turn their options into configuration keys.</summary>
internal static class SettingOverrides
{
    /// <summary>Sets <paramref name="key"/> when the option gave a value; null leaves the key to the configuration.</summary>
    public static void SetGiven(this Dictionary<string, string?> config, string key, string? value)
    {
        if (value is not null)
        {
            config[key] = value;
        }
    }
}
