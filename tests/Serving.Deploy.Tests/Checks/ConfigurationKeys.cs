using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Serving.Hosting.Configuration;

namespace Serving.Deploy.Tests.Checks;

/// <summary>
/// Configuration keys (<c>Serving:Worker:RestPort</c>, or as environment variables <c>Serving__Worker__RestPort</c>)
/// checked against the options classes by reflection: the section is a <c>public const string Section</c> of a
/// public options type; each further segment must be a property (a list index, a dictionary key), ending on a
/// value the configuration binder can convert the given string to.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>The assemblies whose options each role reads.</summary>
    public static readonly IReadOnlyDictionary<string, Assembly[]> RoleAssemblies = new Dictionary<string, Assembly[]>(StringComparer.Ordinal)
    {
        ["worker"] = [Worker, Hosting],
        ["gateway"] = [Gateway, Hosting],
        ["drift"] = [Drift, Hosting],
        ["up"] = [Worker, Gateway, Drift, Hosting],
        ["features"] = [Worker],
        ["traffic"] = [],
        ["infer"] = [],
    };

    private static Assembly Worker => typeof(Serving.Worker.Hosting.WorkerHost).Assembly;

    private static Assembly Gateway => typeof(Serving.Gateway.Hosting.GatewayHost).Assembly;

    private static Assembly Drift => typeof(Serving.Drift.Hosting.DriftHost).Assembly;

    private static Assembly Hosting => typeof(Serving.Hosting.Health.ShutdownOptions).Assembly;

    /// <summary>Every options section (<c>Serving:Worker</c> → WorkerOptions), found by reflection.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = new[] { Worker, Gateway, Drift, Hosting }
        .SelectMany(a => a.GetExportedTypes())
        .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
        .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
        .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);

    /// <summary>An environment variable name as a configuration key (<c>__</c> → <c>:</c>).</summary>
    public static string FromEnvironment(string name) => name.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>True for names the configuration reads (ours and the framework's Logging section).</summary>
    public static bool IsConfigurationKey(string key) =>
        key.StartsWith("Serving:", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when <paramref name="key"/> names a settable value (of <paramref name="value"/>, when given) that <paramref name="role"/> reads; else what is wrong.</summary>
    public static string? Check(string key, string? value, string? role = null)
    {
        if (key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var section = Sections.Keys
            .Where(s => key.Equals(s, StringComparison.OrdinalIgnoreCase) || key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase))
            .MaxBy(s => s.Length);
        if (section is null)
        {
            return $"'{key}' is in no options section (known: {string.Join(", ", Sections.Keys.Order(StringComparer.Ordinal))})";
        }

        var type = Sections[section];
        if (role is not null && RoleAssemblies.TryGetValue(role, out var assemblies) && !assemblies.Contains(type.Assembly))
        {
            return $"'{key}' belongs to {type.Name} ({type.Assembly.GetName().Name}), which `serving {role}` does not read";
        }

        // The product's own check of a key's path (the one a role makes of its settings at start).
        string[] segments = key.Length == section.Length ? [] : key[(section.Length + 1)..].Split(':');
        var lookup = new SettingsSection(section, type).Find(segments);
        if (lookup.IsSection)
        {
            return $"'{key}' names a section ({lookup.Type.Name}), not a value";
        }

        if (!lookup.IsKnown)
        {
            return $"'{key}': {lookup.Type.Name} (at '{string.Join(':', [section, .. segments[..lookup.At]])}') has no '{segments[lookup.At]}'";
        }

        type = lookup.Type;
        var converter = TypeDescriptor.GetConverter(type);
        if (value is null || value.Contains("${", StringComparison.Ordinal) || value.Contains("$(", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            converter.ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return $"'{key}' = '{value}' is not a {type.Name}";
        }
    }

    /// <summary>The default value of a property of an options section (<c>Serving:Worker</c>, <c>RestPort</c>).</summary>
    public static object? Default(string section, string property) =>
        Sections[section].GetProperty(property)!.GetValue(Activator.CreateInstance(Sections[section]));

    /// <summary>The section name of an options type.</summary>
    public static string SectionOf(Type options) => Sections.Single(s => s.Value == options).Key;
}
