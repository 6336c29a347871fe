using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Serving.LoadTests.Reporting;

/// <summary>Writes reports to files.</summary>
internal static class ReportFiles
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="path"/>.</summary>
    public static async Task WriteJsonAsync<T>(string path, T report, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, typeInfo, cancellationToken);
    }

    /// <summary>Runs <paramref name="write"/> on <paramref name="path"/> (nothing when it is null); false, with one error line on <paramref name="error"/>, when the file could not be written.</summary>
    public static async Task<bool> TryWriteAsync(string option, string? path, Func<string, Task> write, TextWriter error)
    {
        if (path is null)
        {
            return true;
        }

        try
        {
            await write(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: {option}: cannot write {path}: {e.Message} (the report is on stdout)");
            return false;
        }
    }
}
