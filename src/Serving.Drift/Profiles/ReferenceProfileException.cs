namespace Serving.Drift.Profiles;

/// <summary>A reference profile could not be read or failed validation.</summary>
/// <remarks>
/// The message names the profile's model/version (when they could be read; otherwise the file alone), the file, and the
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

    // Before its model and version are read (the file can't be read, or isn't JSON), the file alone names the profile.
    private static string Format(string source, string? model, string? version, string field, string problem) =>
        model is null && version is null
            ? $"Reference profile {source}: {field}: {problem}"
            : $"Reference profile '{model ?? "?"}/{version ?? "?"}' ({source}): {field}: {problem}";
}
