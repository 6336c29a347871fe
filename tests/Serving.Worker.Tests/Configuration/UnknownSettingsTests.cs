using Microsoft.Extensions.Configuration;
using Serving.Hosting.Configuration;
using Serving.Hosting.Health;
using Serving.Worker.Configuration;
using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Tests.Configuration;

/// <summary>
/// The start-up check of the <c>Serving:…</c> settings a worker is given, against the sections it reads: a key none
/// reads is named, as the source that set it spells it, with the key meant when it is a near miss.
/// </summary>
public sealed class UnknownSettingsTests
{
    private static readonly SettingsSection[] WorkerSections =
    [
        new(WorkerOptions.Section, typeof(WorkerOptions)),
        new(PredictionLogOptions.Section, typeof(PredictionLogOptions)),
        new(ShutdownOptions.Section, typeof(ShutdownOptions)),
        new("Serving:Metrics:PerRequestMeters", typeof(bool)),
    ];

    [Fact]
    public void KnownKeys_InAnyCase_NothingFound()
    {
        var found = Find(new()
        {
            ["Serving:Worker:RestPort"] = "9000",
            ["serving:worker:maxrequestbytes"] = "2048",
            ["Serving:Worker:PredictionLogs:Endpoint"] = "http://127.0.0.1:8090",
            ["Serving:Shutdown:DrainTimeout"] = "00:00:10",
            ["Serving:Metrics:PerRequestMeters"] = "true",
            ["Logging:LogLevel:Default"] = "Warning", // not ours
            ["Unrelated"] = "x",
        });

        Assert.Empty(found);
    }

    [Fact]
    public void MisspelledKey_NamedWithTheKeyMeant()
    {
        var found = Find(new() { ["Serving:Worker:MaxRequestByte"] = "2048" });

        Assert.Equal(
            "Serving:Worker:MaxRequestByte is not a setting: Serving:Worker has no MaxRequestByte (did you mean Serving:Worker:MaxRequestBytes?)",
            Assert.Single(found));
    }

    [Fact]
    public void MisspelledKeyInASubsection_NamedWithTheKeyMeant()
    {
        var found = Find(new() { ["Serving:Worker:PredictionLogs:SampleRat"] = "0.5" });

        Assert.Equal(
            "Serving:Worker:PredictionLogs:SampleRat is not a setting: Serving:Worker:PredictionLogs has no SampleRat (did you mean Serving:Worker:PredictionLogs:SampleRate?)",
            Assert.Single(found));
    }

    [Fact]
    public void FarFromAnyKey_NoGuess()
    {
        var found = Find(new() { ["Serving:Worker:Batching"] = "on" });

        Assert.Equal("Serving:Worker:Batching is not a setting: Serving:Worker has no Batching", Assert.Single(found));
    }

    [Fact]
    public void MisspelledSection_NamedWithTheSectionMeant()
    {
        var found = Find(new() { ["Serving:Wroker:RestPort"] = "9000" });

        Assert.Equal("Serving:Wroker:RestPort is not a setting: no section Serving:Wroker (did you mean Serving:Worker?)", Assert.Single(found));
    }

    [Fact]
    public void AnotherRolesSection_LeftToThatRole()
    {
        // A worker given the gateway's and the drift monitor's settings (one ConfigMap for all) does not read them.
        var found = Find(new() { ["Serving:Gateway:Workers:0:Rest"] = "http://w:8080", ["Serving:Drift:Window:Capacty"] = "10" });

        Assert.Empty(found);
    }

    [Fact]
    public void ValueForAGroupOfSettings_Refused()
    {
        var found = Find(new() { ["Serving:Worker:PredictionLogs"] = "http://127.0.0.1:8090" });

        Assert.Equal(
            "Serving:Worker:PredictionLogs is a group of settings, not a value: set the keys under it",
            Assert.Single(found));
    }

    [Fact]
    public void KeyUnderAValue_Refused()
    {
        var found = Find(new() { ["Serving:Worker:RestPort:Http"] = "9000" });

        Assert.Equal("Serving:Worker:RestPort:Http is not a setting: Serving:Worker:RestPort has no Http", Assert.Single(found));
    }

    [Fact]
    public void ValueForTheRoot_Refused()
    {
        var found = Find(new() { ["Serving"] = "on" });

        Assert.StartsWith("Serving is not a setting: settings are under Serving:Worker, Serving:Gateway, Serving:Drift", Assert.Single(found), StringComparison.Ordinal);
    }

    [Fact]
    public void EverySettingNoneReads_Named_InKeyOrder()
    {
        var found = Find(new() { ["Serving:Worker:Zzz"] = "1", ["Serving:Worker:RestPort"] = "1", ["Serving:Worker:Aaa"] = "1" });

        Assert.Equal(["Serving:Worker:Aaa is not a setting: Serving:Worker has no Aaa", "Serving:Worker:Zzz is not a setting: Serving:Worker has no Zzz"], found);
    }

    [Fact]
    public void Sources_NamedAsTheyAreWritten()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("serving-unknown-settings-").FullName, "appsettings.json");
        File.WriteAllText(file, """{ "Serving": { "Worker": { "RestPrt": 9000 } } }""");
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(file)
                .AddCommandLine(["--Serving:Worker:GrpcPrt=9001"])
                .Build();

            var found = UnknownSettings.Find(configuration, WorkerSections);

            Assert.Equal(
                [
                    $"--Serving:Worker:GrpcPrt is not a setting: Serving:Worker has no GrpcPrt (did you mean Serving:Worker:GrpcPort?)",
                    $"Serving:Worker:RestPrt (in {file}) is not a setting: Serving:Worker has no RestPrt (did you mean Serving:Worker:RestPort?)",
                ],
                found);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [Fact]
    public void EnvironmentVariable_NamedAsTheVariable()
    {
        // A prefix of this test's own keeps the variable out of every other host this process builds.
        const string Prefix = "SERVING_UNKNOWN_SETTINGS_TEST_";
        Environment.SetEnvironmentVariable(Prefix + "Serving__Worker__MetricsPrt", "9002");
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(Prefix).Build();

            var found = UnknownSettings.Find(configuration, WorkerSections);

            Assert.Equal(
                "the environment variable Serving__Worker__MetricsPrt is not a setting: Serving:Worker has no MetricsPrt (did you mean Serving:Worker:MetricsPort?)",
                Assert.Single(found));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Prefix + "Serving__Worker__MetricsPrt", null);
        }
    }

    private static IReadOnlyList<string> Find(Dictionary<string, string?> settings) =>
        UnknownSettings.Find(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), WorkerSections);
}
