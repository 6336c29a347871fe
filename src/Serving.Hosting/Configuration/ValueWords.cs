namespace Serving.Hosting.Configuration;

/// <summary>
/// What a setting or document key of a .NET type takes, said in words for an error message, never as the type's
/// name: the start-up errors, model.yaml's errors and the admin API's policy errors all speak of values this way.
/// </summary>
public static class ValueWords
{
    /// <summary>
    /// "a whole number", "a number", "true or false", "one of A, B", a time span, a URL or a date; null for text,
    /// lists and objects, which each format names in its own terms.
    /// </summary>
    public static string? For(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            { IsEnum: true } => $"one of {string.Join(", ", Enum.GetNames(type))}",
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(ushort)
                || type == typeof(uint) || type == typeof(ulong) || type == typeof(byte) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(TimeSpan) => "a time span such as 00:00:30 (hh:mm:ss) or 00:00:00.250",
            _ when type == typeof(Uri) => "an absolute URL such as http://127.0.0.1:8090",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601, e.g. 2026-01-31T12:00:00Z)",
            _ => null,
        };
    }
}
