using Serving.Drift.Profiles;

namespace Serving.Drift.Tests.TestSupport;

/// <summary>The repository's real reference profiles, copied next to the test assembly by the project file.</summary>
internal static class TestProfiles
{
    private static readonly Lazy<ReferenceProfile> LazyTabular = new(() => ReferenceProfileLoader.Load(TabularPath));
    private static readonly Lazy<ReferenceProfile> LazyDigits = new(() => ReferenceProfileLoader.Load(DigitsPath));

    public static string TabularPath => PathOf("tabular");

    public static string DigitsPath => PathOf("digits");

    public static ReferenceProfile TabularV1 => LazyTabular.Value;

    public static ReferenceProfile DigitsV1 => LazyDigits.Value;

    private static string PathOf(string model) => Path.Combine(AppContext.BaseDirectory, "TestData", model, "1", "reference.json");
}
