namespace Serving.Worker.Features;

/// <summary>Entity id → store key.</summary>
internal static class FeatureKeys
{
    public static string Format(string keyPattern, string id) => keyPattern.Replace("{id}", id, StringComparison.Ordinal);
}
