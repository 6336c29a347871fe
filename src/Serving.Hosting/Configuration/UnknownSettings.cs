using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Serving.Hosting.Configuration;

/// <summary>
/// Finds the <c>Serving:…</c> settings that nothing reads: a key misspelled in appsettings.json, the environment or
/// the command line (<c>Serving__Worker__MaxRequestByte</c>) would otherwise change nothing, without a word.
/// </summary>
/// <remarks>
/// A key under a section this role reads must be one its options type binds. A key under another role's section
/// (the worker's settings in the gateway's environment, as a shared ConfigMap gives them) is left to that role, but
/// a section no role has (<c>Serving:Wroker</c>) is refused everywhere.
/// </remarks>
public static class UnknownSettings
{
    /// <summary>The root of the product's settings.</summary>
    public const string Root = "Serving";

    /// <summary>The sections directly under <see cref="Root"/> that some role of the product reads.</summary>
    public static readonly IReadOnlySet<string> ProductSections = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Worker", "Runtime", "Features", "Gateway", "Drift", "Tracing", "Logging", "Shutdown", "Metrics",
    };

    /// <summary>One line per setting of <paramref name="configuration"/> that none of <paramref name="sections"/> reads, in key order.</summary>
    public static IReadOnlyList<string> Find(IConfiguration configuration, IEnumerable<SettingsSection> sections)
    {
        var known = sections.Select(s => (Section: s, Segments: s.Path.Split(':'))).OrderByDescending(s => s.Segments.Length).ToArray();
        var failures = new List<string>();
        foreach (var (key, value) in configuration.GetSection(Root).AsEnumerable().OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (value is null)
            {
                continue; // a section's own entry; its settings come as keys of their own
            }

            var segments = key.Split(':');
            if (segments.Length == 1)
            {
                failures.Add($"{Describe(configuration, key)} is not a setting: settings are under {Root}:Worker, {Root}:Gateway, {Root}:Drift, …");
                continue;
            }

            var owner = known.FirstOrDefault(k => StartsWith(segments, k.Segments));
            if (owner.Section is null)
            {
                if (!ProductSections.Contains(segments[1]))
                {
                    failures.Add($"{Describe(configuration, key)} is not a setting: no section {Root}:{segments[1]}{Meant(Suggest(segments[1], ProductSections))}");
                }

                continue; // another role's section: that role checks it
            }

            var lookup = owner.Section.Find(segments.AsSpan(owner.Segments.Length));
            if (lookup.IsKnown)
            {
                continue;
            }

            var at = owner.Segments.Length + lookup.At;
            var prefix = string.Join(':', segments[..at]);
            failures.Add(lookup.IsSection
                ? $"{Describe(configuration, key)} is a group of settings, not a value: set the keys under it"
                : $"{Describe(configuration, key)} is not a setting: {prefix} has no {segments[at]}{Meant(lookup.Suggestions.Select(s => $"{prefix}:{s}"))}");
        }

        return failures;
    }

    private static bool StartsWith(string[] key, string[] section) =>
        key.Length >= section.Length && section.Select((s, i) => string.Equals(s, key[i], StringComparison.OrdinalIgnoreCase)).All(same => same);

    private static string Meant(IEnumerable<string> suggestions) =>
        suggestions.FirstOrDefault() is { } best ? $" (did you mean {best}?)" : "";

    private static IEnumerable<string> Suggest(string written, IEnumerable<string> names) =>
        SettingsSection.Closest(written, names).Select(n => $"{Root}:{n}");

    // The key as the source that set it spells it: a user finds an environment variable by its own name.
    private static string Describe(IConfiguration configuration, string key)
    {
        var provider = configuration is IConfigurationRoot root
            ? root.Providers.Reverse().FirstOrDefault(p => p.TryGet(key, out _))
            : null;
        return provider switch
        {
            EnvironmentVariablesConfigurationProvider => $"the environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
            CommandLineConfigurationProvider => $"--{key}",
            FileConfigurationProvider file => $"{key} (in {file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath ?? file.Source.Path})",
            _ => key,
        };
    }
}
