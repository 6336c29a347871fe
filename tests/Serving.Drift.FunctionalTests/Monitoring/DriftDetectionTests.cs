using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Drift.Monitoring;
using Serving.Drift.Scoring;
using Xunit.Abstractions;

namespace Serving.Drift.FunctionalTests.Monitoring;

/// <summary>
/// Tabular v1 traffic through a real worker into a real drift monitor (window 600, scored every 100
/// records, one drifting feature enough for the alert).
/// </summary>
public sealed class DriftDetectionTests(ITestOutputHelper output)
{
    private const string Shifted = "mean_texture";

    /// <summary>The stated bound: drift is flagged, and cleared again, within one window of records.</summary>
    private const int WithinRecords = DriftScenario.Window;

    [Fact]
    public async Task ReferenceTraffic_NoFeatureDriftsAndNoAlert()
    {
        await using var scenario = await DriftScenario.StartAsync();
        var random = new Random(20250611);

        for (var step = 0; step < 15; step++)
        {
            var evaluation = await scenario.StepAsync(random);
            Assert.Empty(DriftingFeatures(evaluation));
            Assert.False(evaluation.Report.IsDrifting, $"at record {evaluation.AtRecord}: prediction {Describe(evaluation.Report.Prediction)}");
        }

        Assert.True(scenario.Tabular.Latest!.Report.HasEnoughData);
        Assert.Equal(DriftScenario.Window, scenario.Tabular.Latest.Report.WindowSize);
        Assert.Empty(scenario.Drift.Alerts.History);
    }

    [Fact]
    public async Task OneFeatureShiftedHalfStd_OnlyItDrifts_AlertFiresOnceAndClearsAfterTheShift()
    {
        await using var webhook = await WebhookReceiver.StartAsync(failFirst: 1);
        await using var scenario = await DriftScenario.StartAsync(webhook.Url);
        var random = new Random(20250612);
        var feature = scenario.Rows.IndexOf(Shifted);
        var shift = (feature, 0.5 * scenario.Rows.Std[feature]);

        // A full window of reference traffic first.
        for (var step = 0; step < DriftScenario.Window / DriftScenario.EveryRecords; step++)
        {
            Assert.False((await scenario.StepAsync(random)).Alerting);
        }

        // Shifted traffic: the alert must start within one window of shifted records, flagging that feature only.
        var shiftedRecords = 0;
        DriftEvaluation evaluation;
        do
        {
            evaluation = await scenario.StepAsync(random, shift);
            shiftedRecords += DriftScenario.EveryRecords;
            Assert.All(DriftingFeatures(evaluation), name => Assert.Equal(Shifted, name));
            output.WriteLine($"shifted {shiftedRecords}: {Describe(evaluation.Report.Features[feature])}; prediction {Describe(evaluation.Report.Prediction)}");
        }
        while (!evaluation.Alerting && shiftedRecords < WithinRecords);

        Assert.True(evaluation.Alerting, $"no alert after {shiftedRecords} shifted records");
        Assert.Equal([Shifted], DriftingFeatures(evaluation));

        // Half a standard deviation stays well below the major PSI band (> 0.25) in a window this
        // size; the two-sample KS test at its Bonferroni level is what detects it.
        Assert.True(evaluation.Report.Features[feature].Signals.HasFlag(DriftSignals.KolmogorovSmirnov), Describe(evaluation.Report.Features[feature]));
        output.WriteLine($"alert after {shiftedRecords} shifted records (bound {WithinRecords})");

        // More shifted traffic keeps the alert up without raising it again.
        for (var step = 0; step < 3; step++)
        {
            evaluation = await scenario.StepAsync(random, shift);
            Assert.True(evaluation.Alerting);
            Assert.Equal([Shifted], DriftingFeatures(evaluation));
        }

        // The shift stops: the window refills with reference traffic and the alert clears within one window.
        var referenceRecords = 0;
        do
        {
            evaluation = await scenario.StepAsync(random);
            referenceRecords += DriftScenario.EveryRecords;
        }
        while (evaluation.Alerting && referenceRecords < WithinRecords);

        Assert.False(evaluation.Alerting, $"alert still active after {referenceRecords} reference records");
        output.WriteLine($"alert cleared after {referenceRecords} reference records (bound {WithinRecords})");
        for (var step = 0; step < 3; step++)
        {
            Assert.False((await scenario.StepAsync(random)).Alerting);
        }

        var alerts = scenario.Drift.Alerts.History;
        Assert.Equal([DriftAlertTransition.Started, DriftAlertTransition.Stopped], alerts.Select(a => a.Transition));
        Assert.Equal([Shifted], alerts[0].DriftingFeatures);

        // The webhook failed the first attempt; the retry delivered "started", then "stopped" went through once.
        await Eventually.TrueAsync(() => webhook.Calls.Count(c => c.Status == 200) == 2, "both alerts delivered");
        var calls = webhook.Calls;
        Assert.Equal([500, 200, 200], calls.Select(c => c.Status));
        Assert.Equal(calls[0].Body, calls[1].Body);
        using var started = JsonDocument.Parse(calls[1].Body);
        Assert.Equal("drift_started", started.RootElement.GetProperty("event").GetString());
        Assert.Equal("tabular", started.RootElement.GetProperty("model").GetString());
        Assert.Equal("1", started.RootElement.GetProperty("version").GetString());
        Assert.Equal([Shifted], started.RootElement.GetProperty("drifting_features").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(DriftScenario.Window, started.RootElement.GetProperty("window_size").GetInt32());
        using var stopped = JsonDocument.Parse(calls[2].Body);
        Assert.Equal("drift_stopped", stopped.RootElement.GetProperty("event").GetString());
    }

    private static string[] DriftingFeatures(DriftEvaluation evaluation) =>
        [.. evaluation.Report.Features.Where(f => f.IsDrifting).Select(f => f.Name)];

    private static string Describe(FeatureDriftResult result) =>
        $"{result.Name} psi={result.Psi:0.000} ({result.PsiBand}) D={result.KsStatistic:0.000} p={result.KsPValue:0.###e0} signals={result.Signals}";
}
