using System.Collections;
using System.ComponentModel;
using System.Reflection;

namespace Serving.Hosting.Configuration;

/// <summary>
/// A section of settings a role reads (<paramref name="Path"/>, such as <c>Serving:Worker</c>) and the type it binds
/// them to: the keys under it that the type has. A <paramref name="Type"/> that takes one value (a bool, a number)
/// makes <paramref name="Path"/> a single key.
/// </summary>
public sealed record SettingsSection(string Path, Type Type)
{
    /// <summary>
    /// Whether <paramref name="segments"/> (a key's segments after this section's) name something the type binds,
    /// and when not, the segment that goes wrong and, for a misspelling, the names it could have meant.
    /// </summary>
    public SettingsLookup Find(ReadOnlySpan<string> segments) => Find(Type, segments, 0);

    private static SettingsLookup Find(Type type, ReadOnlySpan<string> segments, int at)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (at == segments.Length)
        {
            // A value for the type itself: only a type that takes one value has one ("Serving:Drift:Window=5" sets nothing).
            return TakesOneValue(type) ? SettingsLookup.Value(type) : new SettingsLookup(at, type, [], IsSection: true);
        }

        if (TakesOneValue(type))
        {
            return new SettingsLookup(at, type, []);
        }

        if (ElementOf(type) is { } element)
        {
            // A list's items are numbered from 0 (Workers:0:Rest); a dictionary's by any key.
            var keyed = IsDictionary(type);
            return keyed || int.TryParse(segments[at], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
                ? Find(element, segments, at + 1)
                : new SettingsLookup(at, type, []);
        }

        var properties = Bindable(type);
        var name = segments[at];
        var property = properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        return property is null
            ? new SettingsLookup(at, type, [.. Closest(name, properties.Select(p => p.Name))])
            : Find(property.PropertyType, segments, at + 1);
    }

    // What the configuration binder sets from one string: primitives, strings, enums, and types a converter reads.
    private static bool TakesOneValue(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || (TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string)) && !typeof(IEnumerable).IsAssignableFrom(type));

    private static Type? ElementOf(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!type.IsGenericType || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        var arguments = type.GetGenericArguments();
        return arguments[^1];
    }

    private static bool IsDictionary(Type type) =>
        type.IsGenericType && type.GetInterfaces().Append(type).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));

    // As the binder: public instance properties it can set, or whose value it can fill (a get-only section or list).
    private static PropertyInfo[] Bindable(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod is { IsPublic: true } || !TakesOneValue(p.PropertyType)))];

    /// <summary>The names within two edits of <paramref name="written"/> (a letter dropped, added, changed or two swapped), best first.</summary>
    internal static IEnumerable<string> Closest(string written, IEnumerable<string> names) =>
        names.Select(n => (Name: n, Distance: Edits(written.ToUpperInvariant(), n.ToUpperInvariant())))
            .Where(c => c.Distance <= 2).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Name);

    // Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
    private static int Edits(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}

/// <summary>
/// What <see cref="SettingsSection.Find"/> made of a key: a value of <paramref name="Type"/>, or unknown at segment
/// <paramref name="At"/> (of the segments it was given), which <paramref name="Type"/> does not have, with the names meant,
/// best first; <paramref name="IsSection"/> when the key names a group of settings (<paramref name="Type"/>) but was given a value.
/// </summary>
public sealed record SettingsLookup(int At, Type Type, IReadOnlyList<string> Suggestions, bool IsSection = false)
{
    /// <summary>A key the section's type binds, to a value of <paramref name="type"/>.</summary>
    public static SettingsLookup Value(Type type) => new(-1, type, []);

    /// <summary>Whether the key is one the type binds.</summary>
    public bool IsKnown => At < 0;
}
