namespace Serving.Drift.Profiles;

/// <summary>A reference profile could not be read or failed validation.</summary>
/// <remarks>
/// The message names the profile's model/version (when they could be read), the file, and the
/// offending field as a JSON path such as <c>features[3].bin_edges</c>.
/// </remarks>
public sealed class ReferenceProfileException : Exception
{
    internal ReferenceProfileException(string source, string? model, string? version, string field, string problem, Exception? inner = null)
        : base(Format(source, model, version, field, problem), inner)
    {
        SourceName = source;
        Model = model;
        Version = version;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file path (or the caller's name for in-memory JSON).</summary>
    public string SourceName { get; }

    /// <summary>The profile's model, if it was read before the error.</summary>
    public string? Model { get; }

    /// <summary>The profile's version, if it was read before the error.</summary>
    public string? Version { get; }

    /// <summary>JSON path of the offending field (<c>$</c> for the whole document).</summary>
    public string Field { get; }

    /// <summary>What is wrong with the field.</summary>
    public string Problem { get; }

    private static string Format(string source, string? model, string? version, string field, string problem) =>
        $"Reference profile '{model ?? "?"}/{version ?? "?"}' ({source}): {field}: {problem}";
}
