using System.Text.Json;

namespace Serving.Drift.Profiles;

/// <summary>
/// Loads and validates a model version's <c>reference.json</c> (schema in tools/models/README.md).
/// </summary>
/// <remarks>
/// Every failure — unreadable file, malformed JSON, missing or invalid field — surfaces as a
/// <see cref="ReferenceProfileException"/> naming the file, the model/version and the field, so a
/// bad profile can be reported and skipped without taking the monitor down.
/// </remarks>
public static class ReferenceProfileLoader
{
    /// <summary>Largest profile accepted; real ones are a few hundred KB.</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    /// <summary>Reads and validates the profile at <paramref name="path"/>.</summary>
    /// <exception cref="ReferenceProfileException">The file cannot be read or is not a valid profile.</exception>
    public static ReferenceProfile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(ReadBytes(path), path);
    }

    /// <summary>Validates an in-memory UTF-8 profile; <paramref name="sourceName"/> appears in error messages.</summary>
    /// <exception cref="ReferenceProfileException">The JSON is not a valid profile.</exception>
    public static ReferenceProfile Parse(ReadOnlyMemory<byte> utf8Json, string sourceName)
    {
        var context = new ProfileJsonContext(sourceName);
        if (utf8Json.Span.StartsWith("\uFEFF"u8))
        {
            // A byte order mark, as editors on Windows write one: JsonDocument takes it for "an invalid start of a value".
            utf8Json = utf8Json[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json);
        }
        catch (JsonException ex)
        {
            throw context.Error("$", $"is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).", ex);
        }

        using (document)
        {
            return ReferenceProfileReader.Read(document.RootElement, context);
        }
    }

    private static byte[] ReadBytes(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                throw new ReferenceProfileException(path, null, null, "$", $"file is {info.Length} bytes, over the {MaxFileBytes}-byte limit.");
            }

            return Serving.Hosting.Configuration.RepositoryFile.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ReferenceProfileException(path, null, null, "$", $"cannot be read: {ex.Message}", ex);
        }
    }
}
