using Serving.Testing;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>
/// A model repository of the sample models' version 1 reference profiles, each copied under a model name of the test's
/// own: the Prometheus registry is process-wide, and series of a name no other test uses are the test's alone.
/// </summary>
internal static class ProfileRepository
{
    /// <summary>A temp repository holding <c>&lt;model&gt;/1/reference.json</c>, a copy of <c>&lt;from&gt;/1/reference.json</c>, per pair.</summary>
    public static TempDirectory Create(params (string From, string Model)[] models)
    {
        var repository = new TempDirectory();
        foreach (var (from, model) in models)
        {
            var folder = repository.Combine(model, "1");
            Directory.CreateDirectory(folder);
            File.Copy(Path.Combine(RepoPaths.Models, from, "1", "reference.json"), Path.Combine(folder, "reference.json"));
        }

        return repository;
    }

    /// <summary>
    /// The monitor's settings for <paramref name="repository"/>: a window of <paramref name="window"/> records (also the
    /// minimum window size), scored at each full window only.
    /// </summary>
    public static Dictionary<string, string?> Settings(TempDirectory repository, int window) => new()
    {
        ["Serving:Drift:ModelRepository"] = repository.Path,
        ["Serving:Drift:Window:Capacity"] = Text(window),
        ["Serving:Drift:Thresholds:MinimumWindowSize"] = Text(window),
        ["Serving:Drift:Evaluation:EveryRecords"] = Text(window),
        ["Serving:Drift:Evaluation:Interval"] = "00:00:00",
        ["Serving:Drift:Evaluation:MinInterval"] = "00:00:00",
    };

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
