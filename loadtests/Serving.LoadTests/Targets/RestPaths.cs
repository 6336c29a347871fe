namespace Serving.LoadTests.Targets;

/// <summary>The OIP REST paths, relative to the server root.</summary>
internal static class RestPaths
{
    /// <summary><c>v2/models/{m}[/versions/{v}]</c>.</summary>
    public static string Model(string model, string version) =>
        version.Length == 0
            ? $"v2/models/{Uri.EscapeDataString(model)}"
            : $"v2/models/{Uri.EscapeDataString(model)}/versions/{Uri.EscapeDataString(version)}";

    /// <summary><c>v2/models/{m}[/versions/{v}]/infer</c>.</summary>
    public static string Infer(string model, string version) => Model(model, version) + "/infer";
}
