using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;

namespace Serving.Commands;

/// <summary>
/// Turns what can stop a role from starting into one line that says what to change: a setting the validator
/// refused, a setting that is not even of its type (the configuration binder's "Failed to convert…", which would
/// otherwise end the process with a stack trace), a port already taken, a bind address this machine doesn't have, a
/// configuration file that isn't JSON, or a file or folder it could not use.
/// </summary>
internal static partial class StartupErrors
{
    /// <summary>
    /// The message for <paramref name="exception"/>, or null when it is not a start-up error we explain;
    /// <paramref name="ports"/> says how this command's ports are chosen, for a port already taken.
    /// </summary>
    public static string? Describe(Exception exception, PortHint ports) => exception switch
    {
        OptionsValidationException v => "invalid configuration: " + string.Join("; ", v.Failures.Select(f => Annotation(v.OptionsType, f))),
        InvalidOperationException { InnerException: FormatException or ArgumentException or OverflowException } e
            when FailedConversion().Match(e.Message) is { Success: true } m => "invalid configuration: " + Conversion(m),
        System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressNotAvailable } e => NotThisMachine(e),
        IOException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressNotAvailable } inner } => NotThisMachine(inner),
        IOException e when e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) =>
            $"could not listen: {e.Message.TrimEnd('.')}. {ports.Holder} may hold it: stop it, or pick other ports with {ports.Options}.",
        InvalidDataException e when e.Message.StartsWith("Failed to load configuration from file", StringComparison.Ordinal) =>
            $"invalid configuration: {e.Message.TrimEnd('.')}{(e.InnerException is { } why ? $" ({why.Message.TrimEnd('.')})" : "")}. Fix the file (JSON) or move it away.",
        IOException e => e.Message,
        _ => null,
    };

    private static string NotThisMachine(System.Net.Sockets.SocketException e) =>
        $"could not listen: {e.Message.TrimEnd('.')}: the bind address is not one of this machine's. Use 0.0.0.0 (every address), 127.0.0.1, or an address this machine has (--bind).";

    /// <summary>How a command's ports are set (<paramref name="Options"/>), and what else likely holds one (<paramref name="Holder"/>).</summary>
    public sealed record PortHint(string Options, string Holder = "Another server");

    private static string Conversion(Match m)
    {
        var key = m.Groups["key"].Value;
        var value = m.Groups["value"].Success ? $" '{m.Groups["value"].Value}'" : "";
        var typeName = m.Groups["type"].Value;
        var environment = key.Replace(":", "__", StringComparison.Ordinal);
        return $"{key}{value} is not {Expected(typeName)}. Set it with --{key}=VALUE or the environment variable {environment}.";
    }

    // A data annotation's failure names the options type and the field ("DataAnnotation validation failed for
    // 'WorkerOptions' members: 'RestPort' with the error: 'The field RestPort must be between 0 and 65535.'"): said
    // with the setting's key instead, from the options type's Section. Other validators' messages already name the key.
    private static string Annotation(Type options, string failure)
    {
        var m = DataAnnotationFailure().Match(failure);
        if (!m.Success || options.GetField("Section")?.GetRawConstantValue() is not string section)
        {
            return failure;
        }

        var member = m.Groups["member"].Value;
        var key = $"{section}:{member.Replace('.', ':')}";
        var error = m.Groups["error"].Value.TrimEnd('.');
        error = error.StartsWith($"The field {member} ", StringComparison.Ordinal) ? error[$"The field {member} ".Length..]
            : error.StartsWith($"The {member} field ", StringComparison.Ordinal) ? error[$"The {member} field ".Length..]
            : error;
        var environment = key.Replace(":", "__", StringComparison.Ordinal);
        return $"{key} {error}. Set it with --{key}=VALUE or the environment variable {environment}.";
    }

    // What the setting takes, in words: an enum's names, or the kind of number or text.
    private static string Expected(string typeName)
    {
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        return type is null
            ? $"a valid {typeName[(typeName.LastIndexOf('.') + 1)..]}"
            : ValueWords.For(type) ?? $"a valid {(Nullable.GetUnderlyingType(type) ?? type).Name}";
    }

    // Microsoft.Extensions.Options.DataAnnotations' message, one per member that failed.
    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '(?<member>[^']*)' with the error: '(?<error>.*)'\.?$")]
    private static partial Regex DataAnnotationFailure();

    // Microsoft.Extensions.Configuration.Binder's message; older versions leave the value out.
    [GeneratedRegex(@"^Failed to convert configuration value (?:'(?<value>.*)' )?at '(?<key>[^']*)' to type '(?<type>[^']*)'")]
    private static partial Regex FailedConversion();
}
