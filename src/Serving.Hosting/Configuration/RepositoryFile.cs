namespace Serving.Hosting.Configuration;

/// <summary>
/// Reads a file of a model repository (a model's config, labels, fields, features, a reference profile): whatever its
/// owner put there. One that reports no bytes is not opened. An empty file reads as empty anyway, and a named pipe or
/// a device in its place reports 0 bytes too: opening it would wait for a writer, and with it a repository's sync, a
/// profile watch or the prediction that reads it. It reads as empty, which each reader takes as it takes an empty file.
/// </summary>
public static class RepositoryFile
{
    /// <summary>True when the file is there and reports 0 bytes (empty, or a named pipe or a device): not opened.</summary>
    public static bool ReadsEmpty(string path) => new FileInfo(path) is { Exists: true, Length: 0 };

    public static string ReadAllText(string path) => ReadsEmpty(path) ? string.Empty : File.ReadAllText(path);

    public static byte[] ReadAllBytes(string path) => ReadsEmpty(path) ? [] : File.ReadAllBytes(path);

    public static string[] ReadAllLines(string path) => ReadsEmpty(path) ? [] : File.ReadAllLines(path);

    public static TextReader OpenText(string path) => ReadsEmpty(path) ? new StringReader(string.Empty) : new StreamReader(path);
}
