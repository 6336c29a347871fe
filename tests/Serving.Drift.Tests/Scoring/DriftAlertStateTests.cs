using Serving.Drift.Profiles;
using Serving.Drift.Scoring;
using Serving.Drift.Statistics;

namespace Serving.Drift.Tests.Scoring;

public sealed class DriftAlertStateTests
{
    private const DriftAlertTransition None = DriftAlertTransition.None;
    private const DriftAlertTransition Started = DriftAlertTransition.Started;
    private const DriftAlertTransition Stopped = DriftAlertTransition.Stopped;

    [Fact]
    public void Observe_DriftStartsAndStops_FiresOnceEach()
    {
        var state = new DriftAlertState();

        DriftAlertTransition[] events = Feed(state, false, true, true, true, false, false, true);

        Assert.Equal([None, Started, None, None, Stopped, None, Started], events);
    }

    [Fact]
    public void Observe_WithHysteresisTwo_NeedsTwoVerdictsInARow()
    {
        var state = new DriftAlertState(consecutiveVerdicts: 2);

        DriftAlertTransition[] events = Feed(state, true, false, true, true, true, false, true, false, false);

        Assert.Equal([None, None, None, Started, None, None, None, None, Stopped], events);
        Assert.False(state.IsAlerting);
    }

    [Fact]
    public void Observe_ReportWithoutEnoughData_IsIgnored()
    {
        var state = new DriftAlertState();
        state.Observe(true);

        DriftAlertTransition transition = state.Observe(Report(hasEnoughData: false, isDrifting: false));

        Assert.Equal(None, transition);
        Assert.True(state.IsAlerting);
        Assert.Equal(Stopped, state.Observe(Report(hasEnoughData: true, isDrifting: false)));
    }

    [Fact]
    public void Constructor_ZeroHysteresis_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DriftAlertState(0));
    }

    private static DriftAlertTransition[] Feed(DriftAlertState state, params bool[] verdicts) =>
        verdicts.Select(state.Observe).ToArray();

    private static DriftReport Report(bool hasEnoughData, bool isDrifting)
    {
        var prediction = new FeatureDriftResult
        {
            Name = "p",
            Kind = FeatureKind.Numeric,
            WindowSize = 0,
            ReferenceSize = 1,
            Psi = double.NaN,
            PsiBand = PsiBand.None,
            Signals = DriftSignals.None,
            IsDrifting = false,
        };
        return new DriftReport
        {
            Model = "m",
            Version = "1",
            WindowSize = 0,
            WindowTakenAt = DateTimeOffset.UnixEpoch,
            HasEnoughData = hasEnoughData,
            Features = [],
            Prediction = prediction,
            DriftingFeatureCount = 0,
            DriftingFeatureShare = 0,
            IsDrifting = isDrifting,
        };
    }
}
