using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Serving.LoadTests.Reporting;

/// <summary>Writes a report as JSON to a file.</summary>
internal static class ReportFiles
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="path"/>.</summary>
    public static async Task WriteJsonAsync<T>(string path, T report, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, typeInfo, cancellationToken);
    }
}
