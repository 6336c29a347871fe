using System.Text.Json;

namespace Serving.Worker.PredictionLogs;

/// <summary>Reads the feature names (in input column order) from a version's <c>reference.json</c>.</summary>
internal static class ReferenceFeatureNames
{
    // Real profiles are a few hundred KB; anything far larger is not one.
    private const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>The names, or null when the file is missing, too large or not a profile with named features.</summary>
    public static IReadOnlyList<string>? TryRead(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes)
            {
                return null;
            }

            using var document = JsonDocument.Parse(Serving.Hosting.Configuration.RepositoryFile.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var names = new List<string>(features.GetArrayLength());
            foreach (var feature in features.EnumerateArray())
            {
                if (feature.ValueKind != JsonValueKind.Object
                    || !feature.TryGetProperty("name", out var name)
                    || name.GetString() is not { Length: > 0 } text)
                {
                    return null;
                }

                names.Add(text);
            }

            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
